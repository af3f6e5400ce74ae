/**
 * The error and payment-required variants every tool output can take, and the one translation
 * from a thrown GatewayError to them (used by the MCP and HTTP edges alike).
 *
 * Convention: a thrower may put a `hint` string in GatewayError.data (how to fix the call);
 * it is lifted to `error.hint`. Without one, a default hint per code is used.
 */
import { z } from 'zod';
import { ERROR_CODES, toGatewayError, type ErrorCode } from '../errors.ts';

export const ErrorCodeSchema = z.enum(ERROR_CODES).describe('Stable error code: branch on it, not on the message.');

export const ErrorInfoSchema = z
  .object({
    code: ErrorCodeSchema,
    message: z.string(),
    hint: z.string().optional().describe('How to fix the call.'),
    data: z.record(z.string(), z.unknown()).optional().describe('Details, depending on the code.'),
  })
  .describe('Why the call failed.');
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const ErrorResultSchema = z.object({
  status: z.literal('error'),
  error: ErrorInfoSchema,
});
export type ErrorResult = z.infer<typeof ErrorResultSchema>;

export const PaymentRequiredSchema = z.object({
  status: z.literal('payment_required'),
  amount: z.number().nonnegative().describe('Price in major units of currency.'),
  currency: z.string().describe('ISO 4217, lowercase.'),
  checkout_url: z.string().describe('A human pays here.'),
  session_id: z.string().describe('For redeem_checkout once paid.'),
  expires_at: z.string().describe('ISO 8601.'),
  methods: z.array(z.string()),
  next_steps: z.array(z.string()).describe('What to do, in order.'),
});
export type PaymentRequired = z.infer<typeof PaymentRequiredSchema>;

const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'Check the arguments against the tool input schema and call again.',
  NOT_FOUND: 'Call list_library for built-in model ids, or upload_fmu to get an id for your own FMU.',
  FMU_INVALID: 'Upload a valid FMI 2.0 or 3.0 .fmu archive (a zip with modelDescription.xml at its root).',
  MODEL_DESCRIPTION_INVALID: 'Fix modelDescription.xml in the FMU (it must validate against the FMI standard).',
  PLATFORM_UNSUPPORTED:
    'Provide an FMU with a binary for this platform, or with C sources so it can be compiled here, or use a remote gateway.',
  COMPILER_MISSING: 'Install a C compiler (cc/gcc) on the gateway host, or upload an FMU with a prebuilt binary.',
  UNKNOWN_VARIABLE: 'Call get_variables to list valid variable names.',
  INVALID_START_VALUE: 'Call get_variables: only parameters / inputs with a start value may be set, with their declared type.',
  INVALID_INPUT_SIGNAL: 'Each input signal needs the name of an input variable, equally long time[] and values[], time non-decreasing.',
  OUTPUT_LIMIT_EXCEEDED: 'Increase step (output interval) or shorten stop_time - start_time so fewer rows are recorded.',
  SIMULATION_TIMEOUT: 'Shorten the simulated time, increase step, or choose a faster solver/interface.',
  STEP_LIMIT_EXCEEDED: 'The solver needed too many steps: loosen tolerance, use interface "CS", or shorten the run.',
  SIMULATION_FAILED: 'Check start values and inputs for physically valid values; see error.data for the FMU log.',
  QUEUE_FULL: 'The gateway is busy: retry in a few seconds.',
  PAYMENT_REQUIRED: 'Pay at checkout_url, call redeem_checkout, then repeat the call with payment_token.',
  UNAUTHORIZED: 'Send a valid API key (Authorization: Bearer <key>); POST /keys creates one.',
  INTERNAL: 'This is a bug in the gateway, not in your call; retry later or report it.',
};

export function defaultHint(code: ErrorCode): string | undefined {
  return DEFAULT_HINTS[code];
}

/**
 * Anything thrown → the `error` variant (or `payment_required` when a PAYMENT_REQUIRED error carries
 * valid payment data in `data`). Unknown errors become INTERNAL without leaking stack traces.
 */
export function toErrorOutput(e: unknown): ErrorResult | PaymentRequired {
  const err = toGatewayError(e);
  if (err.code === 'PAYMENT_REQUIRED') {
    const payment = PaymentRequiredSchema.safeParse({ ...err.data, status: 'payment_required' });
    if (payment.success) return payment.data;
  }
  const { hint, ...rest } = err.data ?? {};
  const info: ErrorInfo = { code: err.code, message: err.message };
  const h = typeof hint === 'string' ? hint : defaultHint(err.code);
  if (h !== undefined) info.hint = h;
  // JSON round-trip drops undefined / functions so the data always fits the JSON Schema.
  if (Object.keys(rest).length > 0) {
    const json = JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    info.data = JSON.parse(json) as Record<string, unknown>;
  }
  return { status: 'error', error: info };
}
