/**
 * Full simulation results as files: <dataDir>/runs/<run_id>/result.csv and meta.json.
 * A run folder is written under a temporary name and renamed when complete, so a run id that
 * resolves always has both files.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { SimulationResult } from '../engine/types.ts';

/** Time-sortable, unguessable, and safe in a path and a URI. */
const RUN_ID = /^r[0-9a-z]{8,12}-[0-9a-f]{12}$/;

export function newRunId(now = Date.now()): string {
  return `r${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function isRunId(s: string): boolean {
  return RUN_ID.test(s);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest round-trip decimal; NaN/±Infinity spelled as most CSV readers expect. */
function csvNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
}

/** Streams the CSV to `path` in ~1 MB chunks (a million rows must not become one giant string). */
export function writeResultCsv(path: string, result: Pick<SimulationResult, 'rows' | 'time' | 'columns'>): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    const header = ['time', ...result.columns.map((c) => c.name)].map(csvField).join(',') + '\n';
    bytes += writeSync(fd, header);
    let chunk = '';
    for (let r = 0; r < result.rows; r++) {
      let line = csvNumber(result.time[r] as number);
      for (const c of result.columns) {
        // Int64 / UInt64: the exact integer, not its nearest double.
        const v = c.exact !== undefined ? c.exact[r] : c.values[r];
        line += ',' + (typeof v === 'string' ? csvField(v) : typeof v === 'bigint' ? v.toString() : csvNumber(v as number));
      }
      chunk += line + '\n';
      if (chunk.length > 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export interface RunResultStore {
  readonly dir: string;
  /** Writes result.csv and meta.json for a new run; returns the CSV size in bytes. */
  save(runId: string, result: Pick<SimulationResult, 'rows' | 'time' | 'columns'>, meta: Record<string, unknown>): number;
  csvPath(runId: string): string;
  /** NOT_FOUND when the run does not exist (or the id is malformed). */
  readMeta(runId: string): Record<string, unknown>;
  /** Size of result.csv; NOT_FOUND as readMeta. */
  csvSize(runId: string): number;
  /** Deletes a run's stored result (retention); false when there was none. */
  remove(runId: string): boolean;
  /** Every stored run with the time its result was written (retention). */
  list(): { runId: string; mtimeMs: number }[];
}

export function createRunResultStore(dataDir: string): RunResultStore {
  const dir = join(dataDir, 'runs');
  const notFound = (runId: string) =>
    new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, {
      run_id: runId,
      hint: 'Use the run_id (or result_uri) returned by simulate; results of other gateways are not here.',
    });
  const folder = (runId: string): string => {
    // Validating the id first means no caller-provided string ever reaches the file system.
    if (!isRunId(runId)) throw notFound(runId);
    return join(dir, runId);
  };
  return {
    dir,
    save(runId, result, meta) {
      const final = folder(runId);
      const tmp = join(dir, `.${runId}.tmp`);
      mkdirSync(tmp, { recursive: true });
      try {
        const bytes = writeResultCsv(join(tmp, 'result.csv'), result);
        writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ run_id: runId, ...meta, csv_bytes: bytes }, null, 2));
        renameSync(tmp, final);
        return bytes;
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    },
    csvPath(runId) {
      return join(folder(runId), 'result.csv');
    },
    readMeta(runId) {
      try {
        return JSON.parse(readFileSync(join(folder(runId), 'meta.json'), 'utf8')) as Record<string, unknown>;
      } catch (e) {
        if (e instanceof GatewayError) throw e;
        throw notFound(runId);
      }
    },
    remove(runId) {
      if (!isRunId(runId)) return false;
      const path = join(dir, runId);
      if (!existsSync(path)) return false;
      rmSync(path, { recursive: true, force: true });
      return true;
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      const out: { runId: string; mtimeMs: number }[] = [];
      for (const name of names) {
        if (!isRunId(name)) continue;
        try {
          out.push({ runId: name, mtimeMs: statSync(join(dir, name)).mtimeMs });
        } catch {
          // Removed meanwhile.
        }
      }
      return out;
    },
    csvSize(runId) {
      try {
        return statSync(join(folder(runId), 'result.csv')).size;
      } catch (e) {
        if (e instanceof GatewayError) throw e;
        throw notFound(runId);
      }
    },
  };
}
