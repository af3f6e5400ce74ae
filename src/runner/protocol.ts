/**
 * Messages between the pool (parent) and a worker process, as frames of v8-serialized values on
 * the worker's fd 3 (src/runner/channel.ts). A simulation's rows do not travel here: the worker
 * writes them to a columnar file the pool indexes (src/runner/result-outbox.ts).
 * Never through stdout text: stdout/stderr carry only what the FMU itself prints.
 */
import type { SimulationResult } from '../engine/types.ts';
import type { ErrorCode } from '../errors.ts';
import type { DiagnosticJob, SimulationJob } from './types.ts';

/** A simulation as the worker sees it: paths already mapped into the sandbox. */
export interface WorkerSimulateJob {
  kind: 'simulate';
  fmu: SimulationJob['fmu'];
  options: SimulationJob['options'];
  progressIntervalMs: number;
  /**
   * Where the worker writes the rows (src/store/result-file-writer.ts): a file the pool created
   * in the worker's outbox, as the worker sees it (/results/job-<id>.cols in the sandbox).
   */
  resultPath: string;
  digest?: SimulationJob['digest'];
}

/** A simulation's result without its rows: those are in the job's result file. */
export type WireSimulationResult = Omit<SimulationResult, 'time' | 'columns' | 'eventRows' | 'resultFile'> & {
  /** Size of the result file the worker wrote (the pool checks it). */
  resultFileBytes: number;
};

export type WorkerJob = WorkerSimulateJob | DiagnosticJob;

export interface JobLimits {
  /** FMU log bytes forwarded at full rate; beyond it a trickle (so the last words before a crash arrive). */
  maxLogBytes: number;
}

export type ParentMessage = { type: 'run'; id: number; job: WorkerJob; limits: JobLimits };

export interface WireError {
  code: ErrorCode;
  message: string;
  data?: Record<string, unknown>;
}

export type WorkerMessage =
  | { type: 'ready'; pid: number; seccomp?: { installed: boolean; detail: string } }
  /** Sent once the FMU's model description is known: the pool's reuse rule needs it. */
  | { type: 'loaded'; id: number; onlyOncePerProcess: boolean }
  | { type: 'progress'; id: number; fraction: number; time: number }
  | { type: 'log'; id: number; line: string }
  | { type: 'result'; id: number; result: WireSimulationResult | { value: unknown }; droppedLogBytes: number }
  | { type: 'error'; id: number; error: WireError; droppedLogBytes: number };
