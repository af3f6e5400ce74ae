/**
 * The one mapping from an error code to an HTTP status, and the REST error body
 * `{ error: { code, message, hint?, data? } }` (the MCP error envelope's `error`, same schema).
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';
import { ErrorInfoSchema, toErrorOutput, type ErrorInfo, type PaymentRequired } from '../schemas/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  FMU_INVALID: 422,
  MODEL_DESCRIPTION_INVALID: 422,
  PLATFORM_UNSUPPORTED: 422,
  UNSUPPORTED_FEATURE: 422,
  UNKNOWN_VARIABLE: 422,
  INVALID_START_VALUE: 422,
  INVALID_INPUT_SIGNAL: 422,
  OUTPUT_LIMIT_EXCEEDED: 422,
  ALGEBRAIC_LOOP: 422,
  SYSTEM_INVALID: 422,
  RESULT_CORRUPT: 500,
  COMPILE_FAILED: 422,
  FMI_CALL_FAILED: 422,
  FMU_LOAD_FAILED: 422,
  FMU_CRASHED: 422,
  SIMULATION_FAILED: 422,
  STEP_LIMIT_EXCEEDED: 422,
  SIMULATION_OUT_OF_MEMORY: 422,
  SIMULATION_TIMEOUT: 504,
  COMPILER_MISSING: 501,
  SANDBOX_UNAVAILABLE: 503,
  WORKER_START_FAILED: 500,
  QUEUE_FULL: 503,
  SERVER_BUSY: 503,
  STORE_UNAVAILABLE: 503,
  DISK_FULL: 507,
  OPTIONAL_DEPENDENCY_MISSING: 501,
  QUEUE_UNAVAILABLE: 503,
  BLOB_STORE_UNAVAILABLE: 503,
  WORKER_NODE_LOST: 503,
  CANCELLED: 499,
  PAYMENT_REQUIRED: 402,
  PAYMENTS_DISABLED: 400,
  PAYMENT_METHOD_UNSUPPORTED: 400,
  // Payment refusals are not 402, whose body is the payment data: a client reading a 402 as
  // "pay here" must not get an error body instead.
  PAYMENT_TOKEN_INVALID: 403,
  PAYMENT_TOKEN_USED: 409,
  PAYMENT_TOKEN_EXPIRED: 410,
  PAYMENT_TOKEN_MISMATCH: 403,
  PAYMENT_INVALID: 403,
  CHECKOUT_ALREADY_REDEEMED: 409,
  CHECKOUT_EXPIRED: 410,
  WEBHOOK_SIGNATURE_INVALID: 400,
  PAYMENT_PROVIDER_ERROR: 502,
  PAYMENT_PROVIDER_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  QUOTA_EXCEEDED: 507,
  RATE_LIMITED: 429,
  REMOTE_ERROR: 502,
  REMOTE_UNAVAILABLE: 502,
  REMOTE_TIMEOUT: 504,
  REMOTE_NOT_CONFIGURED: 400,
  NOT_ACCEPTABLE: 406,
  UNKNOWN_CREDIT_PACK: 400,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export const RestErrorSchema = z
  .object({
    detail: z.string().describe("The message alone, where FastAPI-style clients (the original gateway's SDK) look for it."),
    error: ErrorInfoSchema,
  })
  .describe('Every REST error: a stable code, a message, a hint.');
export type RestError = z.infer<typeof RestErrorSchema>;

/** The one place the REST error body is shaped: our `error` object, with its message also as `detail`. */
function errorBody(info: ErrorInfo): RestError {
  return { detail: info.message, error: info };
}

/** The body of a plain (non-payment) error. */
export function restErrorBody(e: unknown): RestError {
  const out = toErrorOutput(e);
  return errorBody(out.status === 'payment_required' ? { code: 'PAYMENT_REQUIRED', message: 'Payment required.' } : out.error);
}

/** Anything thrown → status and body (a 402 carries the payment data as its body). */
export function restErrorOf(e: unknown): { status: number; body: RestError | PaymentRequired } {
  const out = toErrorOutput(e);
  if (out.status === 'payment_required') return { status: 402, body: out };
  const info: ErrorInfo = out.error;
  return { status: httpStatusOf(info.code), body: errorBody(info) };
}
