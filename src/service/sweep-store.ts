/**
 * Sweep records: one JSON file per sweep (`<data>/sweeps/<sweep_id>.json`), written to a temporary
 * name, fsynced and renamed. The asynchronous REST sweep (sweep-jobs.ts) writes one when it is
 * accepted and again when it ends; a synchronous sweep (MCP `sweep`, CLI `sweep`, sweep-runs.ts)
 * writes one when it ends. Both are read by GET /sweep/{id}/results and by `report`.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { SweepInput, SweepSuccess } from '../schemas/simulate.ts';
import type { ServiceContext } from './context.ts';

export type SweepJobStatus = 'RUNNING' | 'COMPLETED' | 'FAILED';

export interface SweepJobRun {
  parameters: Record<string, number>;
  kpis: Record<string, number | null>;
  run_id: string | null;
  status: 'completed' | 'failed';
  error?: { code: string; message: string };
}

export interface SweepChart {
  chart_title: string;
  image_base64: string;
}

export interface SweepJob {
  sweep_id: string;
  caller_id: string;
  status: SweepJobStatus;
  total_runs: number;
  completed_runs: number;
  /** Unix seconds. */
  started_at: number;
  completed_at?: number;
  error?: string;
  results?: SweepJobRun[];
  charts?: SweepChart[];
  output?: SweepSuccess;
}

/** Sweep ids are UUIDs (randomUUID). */
export const SWEEP_ID_PATTERN = /^[0-9a-f-]{36}$/;

function sweepsDir(ctx: ServiceContext): string {
  return join(dirname(ctx.results.dir), 'sweeps');
}

/** Writes (or replaces) a sweep's record; DISK_FULL / store faults propagate. */
export function writeSweepRecord(ctx: ServiceContext, job: SweepJob): void {
  const dir = sweepsDir(ctx);
  mkdirSync(dir, { recursive: true });
  // Written here, not through store/ (service/ takes store collaborators as arguments, STYLE.md):
  // a temporary name, every byte written, fsynced, renamed; a failure leaves the previous record.
  const path = join(dir, `${job.sweep_id}.json`);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const bytes = Buffer.from(JSON.stringify(job), 'utf8');
      for (let off = 0; off < bytes.length;) {
        const n = writeSync(fd, bytes, off, bytes.length - off);
        if (n <= 0) throw Object.assign(new Error(`sweep ${job.sweep_id}: short write of its record`), { code: 'ENOSPC' }); // → DISK_FULL
        off += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A sweep's record as written; undefined when there is none (or the id is not a sweep id). */
export function readSweepRecord(ctx: ServiceContext, sweepId: string): SweepJob | undefined {
  if (!SWEEP_ID_PATTERN.test(sweepId)) return undefined;
  try {
    return JSON.parse(readFileSync(join(sweepsDir(ctx), `${sweepId}.json`), 'utf8')) as SweepJob;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('INTERNAL', `sweep ${sweepId}: stored result unreadable`);
  }
}

/** The runs of a finished sweep in the original gateway's shape (dot paths, final_<output> KPIs). */
export function runsOf(input: SweepInput, output: SweepSuccess): SweepJobRun[] {
  const fixed: Record<string, number> = {};
  for (const [k, v] of Object.entries(input.start_values ?? {})) if (typeof v === 'number') fixed[`start_values.${k}`] = v;
  if (input.stop_time !== undefined) fixed.stop_time = input.stop_time;
  if (input.step !== undefined) fixed.step = input.step;
  return output.runs.map((r) => {
    const parameters: Record<string, number> = { ...fixed };
    for (const [k, v] of Object.entries(r.start_values)) parameters[`start_values.${k}`] = typeof v === 'number' ? v : Number(v);
    const kpis: Record<string, number | null> = {};
    for (const [name, s] of Object.entries(r.summary ?? {})) kpis[`final_${name}`] = s.final;
    Object.assign(kpis, r.kpis ?? {});
    return {
      parameters,
      kpis,
      run_id: r.run_id ?? null,
      status: r.status,
      ...(r.error === undefined ? {} : { error: r.error }),
    };
  });
}
