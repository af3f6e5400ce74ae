/**
 * The error and payment-required variants every tool output can take, and the one translation
 * from a thrown GatewayError to them (used by the MCP and HTTP edges alike).
 *
 * Convention: a thrower may put a `hint` string in GatewayError.data (how to fix the call);
 * it is lifted to `error.hint`. Without one, a default hint per code is used.
 */
import { z } from 'zod';
import { ERROR_CODES, toGatewayError, type ErrorCode } from '../errors.ts';
import { CreditsInfoSchema } from './credits.ts';
import { X402PaymentRequiredFields } from './x402.ts';

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
  credits: CreditsInfoSchema.optional(),
  // The x402 v2 PaymentRequired object, spread into the same result when X402_PAY_TO is set, so
  // an x402 client finds x402Version / resource / accepts at the top of structuredContent.
  ...X402PaymentRequiredFields,
});
export type PaymentRequired = z.infer<typeof PaymentRequiredSchema>;

const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'Check the arguments against the tool input schema and call again.',
  NOT_FOUND: 'Call list_library for built-in model ids, or upload_fmu to get an id for your own FMU.',
  FMU_INVALID: 'Upload a valid FMI 2.0 or 3.0 .fmu archive (a zip with modelDescription.xml at its root).',
  MODEL_DESCRIPTION_INVALID: 'Fix modelDescription.xml in the FMU (it must validate against the FMI standard).',
  PLATFORM_UNSUPPORTED:
    'Provide an FMU with a binary for this platform, or with C sources so it can be compiled here, or use a remote gateway.',
  UNSUPPORTED_FEATURE:
    'The FMU is valid but uses an FMI feature this gateway does not run (error.data.feature names it); export the model without it.',
  COMPILER_MISSING: 'Install a C compiler (cc/gcc) on the gateway host, or upload an FMU with a prebuilt binary.',
  UNKNOWN_VARIABLE: 'Call get_variables to list valid variable names.',
  INVALID_START_VALUE: 'Call get_variables: only parameters / inputs with a start value may be set, with their declared type.',
  INVALID_INPUT_SIGNAL: 'Each input signal needs the name of an input variable, equally long time[] and values[], time non-decreasing.',
  OUTPUT_LIMIT_EXCEEDED: 'Increase step (output interval) or shorten stop_time - start_time so fewer rows are recorded.',
  SIMULATION_TIMEOUT: 'Shorten the simulated time, increase step, or choose a faster solver/interface.',
  STEP_LIMIT_EXCEEDED: 'The solver needed too many steps: loosen tolerance, use interface "CS", or shorten the run.',
  SIMULATION_FAILED: 'Check start values and inputs for physically valid values; see error.data for the FMU log.',
  QUEUE_FULL: 'The gateway is busy: retry in a few seconds.',
  SERVER_BUSY:
    'The gateway is busy: wait error.data.retry_after_seconds (HTTP: the Retry-After header), then retry; or send fewer requests at once.',
  PAYMENT_REQUIRED: 'Pay at checkout_url, call redeem_checkout, then repeat the call with payment_token.',
  PAYMENTS_DISABLED: 'This gateway does not charge for simulations: call again without payment_token / payment_method.',
  PAYMENT_METHOD_UNSUPPORTED: 'Use one of the methods listed in the payment_required answer (or omit payment_method).',
  PAYMENT_TOKEN_INVALID: 'Use the payment_token returned by redeem_checkout, with the same API key that paid.',
  PAYMENT_TOKEN_USED: 'A payment token pays for one run: call simulate without it to get a new checkout.',
  PAYMENT_TOKEN_EXPIRED: 'Call simulate without payment_token to get a new checkout, pay, redeem, and use the token before it expires.',
  PAYMENT_TOKEN_MISMATCH: 'The token was bought for another model or a cheaper request: call quote, pay for this request, and retry.',
  PAYMENT_INVALID: 'The x402 payment was refused by the facilitator: sign a new payment for the listed requirements.',
  CHECKOUT_ALREADY_REDEEMED: 'The token of this checkout was already handed out; use it, or pay again for another run.',
  CHECKOUT_EXPIRED: 'The checkout expired unpaid: call simulate (or quote) again for a new checkout_url.',
  WEBHOOK_SIGNATURE_INVALID: 'Send the raw Stripe event body with its Stripe-Signature header, signed with STRIPE_WEBHOOK_SECRET.',
  PAYMENT_PROVIDER_ERROR: 'The payment provider could not be reached; retry in a few seconds.',
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
