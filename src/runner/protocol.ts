/**
 * Messages between the pool (parent) and a worker process, as frames of v8-serialized values on
 * the worker's fd 3 (src/runner/channel.ts). A simulation's rows do not travel here: the worker
 * writes them to a columnar file the pool indexes (src/runner/result-outbox.ts).
 * Never through stdout text: stdout/stderr carry only what the FMU itself prints.
 *
 * The worker→pool direction is untrusted: the FMU runs inside the worker and can write frames
 * of its own into the channel. So that direction is defined once, as a zod schema, and the pool
 * parses every frame with it before use (worker-process.ts); a frame that does not parse kills
 * that worker with FMU_CRASHED. The types below are inferred from the schema, so code and check
 * cannot drift apart. To add a message kind, add one object to WorkerMessageSchema.
 */
import { z } from 'zod';
import type { SimulationResult } from '../engine/types.ts';
import { ERROR_CODES } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { InterfaceKindSchema } from '../schemas/model-description.ts';
import { ResultDigestSchema } from '../schemas/result-file.ts';
import type { DiagnosticJob, SimulationJob } from './types.ts';

/** A simulation as the worker sees it: paths already mapped into the sandbox. */
export interface WorkerSimulateJob {
  kind: 'simulate';
  fmu: SimulationJob['fmu'];
  options: SimulationJob['options'];
  /** At most one progress frame per this many ms; 0: none (nobody listens). */
  progressIntervalMs: number;
  /**
   * Where the worker writes the rows (src/store/result-file-writer.ts): a file the pool created
   * in the worker's outbox, as the worker sees it (/results/job-<id>.cols in the sandbox).
   */
  resultPath: string;
  digest?: SimulationJob['digest'];
}

export type WorkerJob = WorkerSimulateJob | DiagnosticJob;

export interface JobLimits {
  /** FMU log bytes forwarded at full rate; beyond it a trickle (so the last words before a crash arrive). */
  maxLogBytes: number;
}

/**
 * `logPath`: the worker's FMU log file as the worker sees it (result-outbox.ts, LOG_FILE_NAME):
 * the worker appends log lines there instead of sending a frame for each; without it, frames.
 */
export type ParentMessage = { type: 'run'; id: number; job: WorkerJob; limits: JobLimits; logPath?: string };

/**
 * Codes a worker may report. The ones that mean something at the edges (a 402 with checkout
 * data, a 401, back-pressure, the remote gateway) never come from a worker: a worker claiming
 * one is an FMU forging the channel (it could otherwise make the gateway answer "payment
 * required" with a checkout URL of its choosing). Nor any code that changes billing: the
 * gateway's own failures (INTERNAL, CANCELLED, the store, the disk, admission) give a paid token
 * back, so a worker — where the FMU's code runs, and whose own failures after loading it are the
 * FMU's doing (e.g. its descriptors exhausted by the FMU) — may claim none of them; such a frame
 * does not parse and the run ends as FMU_CRASHED.
 */
const EDGE_ONLY_CODES: ReadonlySet<string> = new Set([
  'PAYMENT_REQUIRED',
  'UNAUTHORIZED',
  'QUEUE_FULL',
  'REMOTE_ERROR',
  'SANDBOX_UNAVAILABLE',
  'INTERNAL',
  'CANCELLED',
  'STORE_UNAVAILABLE',
  'DISK_FULL',
  'SERVER_BUSY',
  'WORKER_START_FAILED',
  'RATE_LIMITED',
]);
export const WORKER_ERROR_CODES = ERROR_CODES.filter((c) => !EDGE_ONLY_CODES.has(c)) as [ErrorCode, ...ErrorCode[]];

const JobId = z.number().int().nonnegative();
const Finite = z.number().refine(Number.isFinite, 'must be finite');
const Count = z.number().int().nonnegative();
export const WireErrorSchema = z.object({
  code: z.enum(WORKER_ERROR_CODES),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type WireError = z.infer<typeof WireErrorSchema>;

/**
 * The engine's SimulationResult as it crosses the channel, without its rows (those are in the
 * job's result file, checked by the pool when it reads the file's footer).
 */
export const WireSimulationResultSchema = z.object({
  fmiVersion: z.enum(['2.0', '3.0']),
  interface: InterfaceKindSchema,
  solver: z.string().optional(),
  tolerance: z.number().optional(),
  rows: Count,
  terminatedEarly: z.object({ time: z.number(), reason: z.string() }).optional(),
  stats: z.object({ steps: Count, events: Count, rejectedSteps: Count, wallMs: z.number() }),
  warnings: z.array(z.string()),
  log: z.array(z.string()),
  /** Size of the result file the worker wrote (the pool checks it). */
  resultFileBytes: Count,
  digest: ResultDigestSchema.optional(),
});
export type WireSimulationResult = z.infer<typeof WireSimulationResultSchema>;
// Compile-time proof that a parsed result is the engine's SimulationResult less its rows (no second hand-written shape).
const resultMatchesEngine: (
  r: z.infer<typeof WireSimulationResultSchema>,
) => Omit<SimulationResult, 'time' | 'columns' | 'eventRows' | 'resultFile'> = (r) => r;
void resultMatchesEngine;

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    pid: z.number().int(),
    seccomp: z.object({ installed: z.boolean(), detail: z.string() }).optional(),
  }),
  /**
   * Sent once the FMU's model description is known, when the pool's reuse rule needs it (the FMU
   * may be instantiated only once per process) or start-up is traced; otherwise the worker is
   * reusable and a frame less wakes the gateway.
   */
  z.object({ type: z.literal('loaded'), id: JobId, onlyOncePerProcess: z.boolean() }),
  /** fraction is clamped to [0, 1] by the pool (rounding in the engine may step past 1). */
  z.object({ type: z.literal('progress'), id: JobId, fraction: Finite, time: Finite }),
  z.object({ type: z.literal('log'), id: JobId, line: z.string() }),
  /**
   * A simulation's result. `timings`: where the worker's time went (ms), for the phase table of
   * bench/warm.ts only (src/service/phases.ts); nothing else reads them.
   */
  z.object({
    type: z.literal('result'),
    id: JobId,
    result: WireSimulationResultSchema,
    droppedLogBytes: Count,
    timings: z.record(z.string(), z.number()).optional(),
  }),
  /** A diagnostic's value (diagnostics are ours and run without an FMU; the pool accepts it only for one). */
  z.object({ type: z.literal('value'), id: JobId, value: z.unknown(), droppedLogBytes: Count }),
  z.object({ type: z.literal('error'), id: JobId, error: WireErrorSchema, droppedLogBytes: Count }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Parses one frame from a worker: the message, or why it is not one (short, for the error text). */
export function parseWorkerMessage(frame: unknown): { ok: true; message: WorkerMessage } | { ok: false; reason: string } {
  const r = WorkerMessageSchema.safeParse(frame);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  return { ok: false, reason: `a malformed message${where}: ${issue?.message ?? 'invalid'}` };
}
