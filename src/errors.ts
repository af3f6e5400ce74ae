/**
 * The one error class of the project. Inner layers throw it with a stable code;
 * only the edges (HTTP, MCP, CLI) translate it. Tests assert on `code`, never on text.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'FMU_INVALID',
  'MODEL_DESCRIPTION_INVALID',
  'PLATFORM_UNSUPPORTED',
  'UNSUPPORTED_FEATURE',
  'FMI_CALL_FAILED',
  'FMU_LOAD_FAILED',
  'FMU_CRASHED',
  'COMPILE_FAILED',
  'COMPILER_MISSING',
  'UNKNOWN_VARIABLE',
  'INVALID_START_VALUE',
  'INVALID_INPUT_SIGNAL',
  'SIMULATION_FAILED',
  'SIMULATION_TIMEOUT',
  'SIMULATION_OUT_OF_MEMORY',
  'STEP_LIMIT_EXCEEDED',
  'OUTPUT_LIMIT_EXCEEDED',
  /** A connected system's direct-feedthrough outputs form a cycle (src/systems/graph.ts). */
  'ALGEBRAIC_LOOP',
  /** A connected system's description does not fit its components (connector, type, unit). */
  'SYSTEM_INVALID',
  /** A stored or just-written columnar result file fails its checks (src/store/result-file-reader.ts). */
  'RESULT_CORRUPT',
  'SANDBOX_UNAVAILABLE',
  /** A worker process could not start (data: module, path tried, stderr). */
  'WORKER_START_FAILED',
  'QUEUE_FULL',
  /** Admission control refused the request at once (503 + Retry-After): too many in flight for this caller or in total. */
  'SERVER_BUSY',
  /** The account store (SQLite, PostgreSQL, Redis) cannot serve: 503 + Retry-After; nothing was recorded. */
  'STORE_UNAVAILABLE',
  /** The gateway's own disk is full: 507 + Retry-After; recovers once space is freed. */
  'DISK_FULL',
  'CANCELLED',
  'PAYMENT_REQUIRED',
  'PAYMENTS_DISABLED',
  'PAYMENT_METHOD_UNSUPPORTED',
  'PAYMENT_TOKEN_INVALID',
  'PAYMENT_TOKEN_USED',
  'PAYMENT_TOKEN_EXPIRED',
  'PAYMENT_TOKEN_MISMATCH',
  'PAYMENT_INVALID',
  'CHECKOUT_ALREADY_REDEEMED',
  'CHECKOUT_EXPIRED',
  'WEBHOOK_SIGNATURE_INVALID',
  'PAYMENT_PROVIDER_ERROR',
  'PAYMENT_PROVIDER_UNAVAILABLE',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'QUOTA_EXCEEDED',
  'RATE_LIMITED',
  'REMOTE_ERROR',
  'REMOTE_UNAVAILABLE',
  'REMOTE_TIMEOUT',
  'REMOTE_NOT_CONFIGURED',
  /** A large optional package (bullmq, @aws-sdk/client-s3, …) is not installed; data: { package, feature }. */
  'OPTIONAL_DEPENDENCY_MISSING',
  /** Scale-out: the job queue's Redis cannot be reached, or lost a job (503 + retry). */
  'QUEUE_UNAVAILABLE',
  /** No space left on a device we write to (507 + retry). */
  'DISK_FULL',
  /** Scale-out: the shared blob store (directory or S3) cannot be reached (503 + retry). */
  'BLOB_STORE_UNAVAILABLE',
  /** Scale-out: the worker nodes running a job died more often than the retry policy allows. */
  'WORKER_NODE_LOST',
  /** No representation the request's Accept header allows (GET /runs/{id}/result). */
  'NOT_ACCEPTABLE',
  /** A pack id that CREDIT_PACKS does not offer (data: packs). */
  'UNKNOWN_CREDIT_PACK',
  /** A configuration value (environment) that does not parse; the process does not start. */
  'CONFIG_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.data = data;
  }

  toJSON(): { code: ErrorCode; message: string; data?: Record<string, unknown> } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Turn anything thrown into a GatewayError; unknown errors become INTERNAL (our bug, not the client's). */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  // A full disk met anywhere (an upload streamed to disk, an archive unpacked) is not our bug: it
  // is DISK_FULL, 507 + Retry-After, and it recovers once space is freed.
  const errno = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new GatewayError('DISK_FULL', "The gateway's disk is full; nothing was stored. Retry shortly.", {
      retry_after_seconds: 30,
      hint: 'This is the gateway operator’s problem, not the request’s: retry after the Retry-After delay.',
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new GatewayError('INTERNAL', `Internal error: ${message}`);
}
