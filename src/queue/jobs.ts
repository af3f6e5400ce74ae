/**
 * What travels through the queue, defined once as zod schemas and parsed on receipt by both sides
 * (a job's data by the worker node, a job's result and failure by the API node), and the one
 * mapping of our error codes onto BullMQ's failure kinds:
 *
 * - an FMU's own failure (it crashed, timed out, diverged, asked for too much memory, was
 *   cancelled, the request was bad) is final: thrown as BullMQ's UnrecoverableError, never retried
 *   and never refunded (the run took a worker's time, exactly as on one machine);
 * - a node's trouble (its pool could not start a worker, its disk or the blob store failed, it
 *   died mid-job and the job stalled) is retried on any node, and billed once: the API node that
 *   took the payment waits for the job, whichever attempt finishes it.
 */
import { z } from 'zod';
import { GatewayError, type ErrorCode } from '../errors.ts';
import { WireErrorSchema, WireSimulationResultSchema } from '../runner/protocol.ts';

export const QUEUE_NAME = 'fmu-gateway-simulations';
/** Redis pub/sub channel on which API nodes ask worker nodes to cancel a running job. */
export const CANCEL_CHANNEL = 'fmu-gateway:cancel';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A node's name as it appears in provenance (executed_on "worker:<name>"). */
export const NodeNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/);

export const SimulateJobDataSchema = z.object({
  v: z.literal(1),
  kind: z.literal('simulate'),
  fmu_sha256: Sha256,
  /** The engine's options as planned by the API node (SimulationPlan.options); checked by the engine again. */
  options: z.object({ startTime: z.number(), stopTime: z.number(), outputInterval: z.number().positive() }).passthrough(),
  digest: z
    .object({ kpis: z.array(z.unknown()), seriesPoints: z.array(z.number().int().positive()) })
    .passthrough()
    .optional(),
  /** The caller's id (a key's hash): the worker pool never shares a worker between callers. */
  caller: z.string().max(200).optional(),
});
export type SimulateJobData = z.infer<typeof SimulateJobDataSchema>;

export const SimulateJobResultSchema = z.object({
  result: WireSimulationResultSchema,
  /** Rows of the run, in the blob store under blobKeys.jobResult(job id). */
  node: NodeNameSchema,
  /** The worker node's isolation label (provenance). */
  isolation: z.string().max(200),
});
export type SimulateJobResult = z.infer<typeof SimulateJobResultSchema>;

/** Codes that name trouble of a node or of shared infrastructure, not of the FMU: retried elsewhere. */
const NODE_TROUBLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SANDBOX_UNAVAILABLE',
  'QUEUE_FULL',
  'DISK_FULL',
  'BLOB_STORE_UNAVAILABLE',
  'QUEUE_UNAVAILABLE',
  'INTERNAL',
  'OPTIONAL_DEPENDENCY_MISSING',
]);

export function isRetryable(code: ErrorCode): boolean {
  return NODE_TROUBLE.has(code);
}

/** A failure as a BullMQ failedReason: the coded error as JSON. */
export function encodeFailure(e: GatewayError): string {
  return JSON.stringify(e.toJSON());
}

/**
 * A job's failedReason → the GatewayError the caller gets. Codes only the edges may raise (a
 * payment demand, an auth failure) are refused, as from a worker process: a worker node cannot
 * make the API node ask for money.
 */
export function decodeFailure(reason: string | undefined): GatewayError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(reason ?? '');
  } catch {
    parsed = undefined;
  }
  const wire = WireErrorSchema.safeParse(parsed);
  if (wire.success) return new GatewayError(wire.data.code, wire.data.message, wire.data.data);
  // BullMQ's own reasons (a job that stalled more often than allowed: its nodes kept dying).
  if (reason !== undefined && /stalled/i.test(reason)) {
    return new GatewayError(
      'WORKER_NODE_LOST',
      'The worker nodes running this job stopped answering more often than the retry policy allows',
      {
        reason: reason.slice(0, 200),
        retry_after: 5,
      },
    );
  }
  // A coded error with a code we refuse (or a malformed one) is not repeated: its text is the sender's.
  if (parsed !== undefined) return new GatewayError('INTERNAL', 'A worker node reported an error this gateway does not accept');
  return new GatewayError('INTERNAL', `A worker node failed the job: ${(reason ?? 'no reason').slice(0, 200)}`);
}
