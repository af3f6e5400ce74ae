/**
 * Worker side of a simulation job: the model description (given, or parsed here inside the
 * sandbox), the reuse flag for the pool, then the engine's synchronous runSimulation.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { digestResult } from '../engine/result-digest.ts';
import { runSimulation } from '../engine/run.ts';
import type { SimulationOptions } from '../engine/types.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { writeResultFile } from '../store/result-file-writer.ts';
import { runSystemSimulation } from '../systems/run-system.ts';
import type { WireSimulationResult, WorkerSimulateJob } from './protocol.ts';

export interface SimulateHooks {
  onLoaded: (onlyOncePerProcess: boolean) => void;
  /** Called only when the job asks for progress (progressIntervalMs > 0). */
  onProgress: (fraction: number, time: number) => void;
  onLog: (line: string) => void;
  maxLogBytes: number;
}

function onlyOncePerProcess(md: ModelDescription): boolean {
  return (
    md.co_simulation?.can_be_instantiated_only_once_per_process === true ||
    md.model_exchange?.can_be_instantiated_only_once_per_process === true
  );
}

/** Keeps the newest lines within maxBytes: the tail is what explains a failure. */
function capLog(lines: string[], maxBytes: number): string[] {
  let bytes = 0;
  let i = lines.length;
  while (i > 0) {
    bytes += Buffer.byteLength(lines[i - 1] ?? '') + 1;
    if (bytes > maxBytes) break;
    i--;
  }
  return i === 0 ? lines : [`…${i} earlier log lines dropped`, ...lines.slice(i)];
}

/**
 * The model description of this worker's FMU. A worker only ever runs one FMU (the pool's reuse
 * rule), so the pool sends the description with the first job only; later jobs name the same
 * sha256 and use this copy.
 */
let described: { sha256: string; md: ModelDescription } | undefined;

/**
 * The job with its model description: sent by the pool, or this worker's copy from an earlier
 * job of the same FMU; otherwise parsed here, inside the sandbox. The parser (and zod with it) is
 * loaded only then, so a worker's start-up does not pay for it (docs/architecture.md, start-up).
 */
export async function withModelDescription(job: WorkerSimulateJob): Promise<WorkerSimulateJob> {
  if (job.fmu.modelDescription !== undefined) return job;
  let modelDescription: ModelDescription;
  if (described?.sha256 === job.fmu.sha256) modelDescription = described.md;
  else {
    const { parseModelDescription } = await import('../fmi/model-description.ts');
    modelDescription = parseModelDescription(readFileSync(join(job.fmu.unpackedDir, 'modelDescription.xml'), 'utf8'));
  }
  return { ...job, fmu: { ...job.fmu, modelDescription } };
}

/**
 * Runs the job (its model description filled in by withModelDescription) and writes its rows to
 * job.resultPath (one write per column); the answer to the pool carries everything but the rows.
 * `timings` receives the time of each phase (FMU_GATEWAY_PHASES).
 */
export function runSimulateJob(job: WorkerSimulateJob, hooks: SimulateHooks, timings: Record<string, number> = {}): WireSimulationResult {
  let t = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    timings[phase] = now - t;
    t = now;
  };
  const md = job.fmu.modelDescription;
  if (md === undefined) throw new Error('runSimulateJob: the job has no model description (call withModelDescription first)');
  described = { sha256: job.fmu.sha256, md };
  hooks.onLoaded(onlyOncePerProcess(md));
  // onLog is read by engines that stream FMU log lines (so they reach the parent before a crash).
  const options: SimulationOptions = {
    ...job.options,
    ...(job.progressIntervalMs > 0 ? { onProgress: hooks.onProgress, progressIntervalMs: job.progressIntervalMs } : {}),
    onLog: hooks.onLog,
  };
  const fmu =
    job.fmu.binaryPath === undefined
      ? { unpackedDir: job.fmu.unpackedDir, modelDescription: md }
      : { unpackedDir: job.fmu.unpackedDir, modelDescription: md, binaryPath: job.fmu.binaryPath };
  // A connected system: unpackedDir is its bundle of FMUs (src/service/simulate-system.ts).
  const result =
    job.options.system === undefined ? runSimulation(fmu, options) : runSystemSimulation(fmu.unpackedDir, job.options.system, options);
  lap('worker: load + run FMU');
  const resultFileBytes = writeResultFile(job.resultPath, result, { existing: true });
  lap('worker: write result file');
  if (job.digest !== undefined) result.digest = digestResult(result, job.digest);
  lap('worker: digest');
  const { time: _time, columns: _columns, eventRows: _eventRows, resultFile: _file, ...rest } = result;
  return { ...rest, log: capLog(rest.log, hooks.maxLogBytes), resultFileBytes };
}
