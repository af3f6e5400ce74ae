/**
 * Messages between the pool (parent) and a worker process, as frames of v8-serialized values on
 * the worker's fd 3 (src/runner/channel.ts): Float64Arrays arrive as typed arrays.
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
}

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
  | { type: 'result'; id: number; result: SimulationResult | { value: unknown }; droppedLogBytes: number }
  | { type: 'error'; id: number; error: WireError; droppedLogBytes: number };
