/**
 * Payments: quote (the price of a simulate request), redeem_checkout (a paid checkout → a
 * single-use payment token) and the REST /pay answer. simulate's payment_required variant is in
 * errors.ts (every tool output can take it).
 */
import { z } from 'zod';
import { flatOutputSchema, FmuIdSchema } from './common.ts';
import { CreditsInfoSchema } from './credits.ts';
import { ErrorResultSchema } from './errors.ts';
import { createSimulateInputSchema, DEFAULT_MAX_OUTPUT_ROWS } from './simulate.ts';

/** Payment methods a payment_required answer may list. */
export const PAYMENT_METHODS = ['stripe_checkout', 'x402'] as const;
export const PaymentMethodSchema = z.enum(PAYMENT_METHODS);
export type PaymentMethod = z.infer<typeof PaymentMethodSchema>;

/** quote takes exactly simulate's request (payment fields are accepted and ignored for the price). */
export const createQuoteInputSchema = createSimulateInputSchema;
export const QuoteInputSchema = createQuoteInputSchema({ maxOutputRows: DEFAULT_MAX_OUTPUT_ROWS });

export const CostDriverSchema = z.object({
  name: z.string().describe('What the price depends on, e.g. "estimated_rows".'),
  value: z.number().describe('Its value for this request.'),
  effect: z.string().describe('How it changes the price.'),
});
export type CostDriver = z.infer<typeof CostDriverSchema>;

export const CheckoutInfoSchema = z
  .object({
    checkout_url: z.string().describe('Open this URL (a human pays there).'),
    session_id: z.string().describe('Pass to redeem_checkout once paid.'),
    expires_at: z.string().describe('ISO 8601 time when the checkout expires.'),
    methods: z.array(z.string()).describe('Accepted payment methods.'),
  })
  .describe('Where to pay for this request (present when payment_required is true).');
export type CheckoutInfo = z.infer<typeof CheckoutInfoSchema>;

export const QuoteSuccessSchema = z.object({
  status: z.literal('quoted'),
  payments_enabled: z.boolean().describe('False: this gateway charges nothing (STRIPE_ENABLED=false); simulate runs without payment.'),
  payment_required: z
    .boolean()
    .describe('True when simulate will answer payment_required unless given a payment_token (false when prepaid credits cover the run).'),
  amount: z.number().nonnegative().describe('Price in major units of currency (e.g. 1 = 1.00 USD); 0 when free.'),
  amount_minor: z.number().int().nonnegative().describe('The same price in minor units (cents).'),
  currency: z.string().describe('ISO 4217 code, lowercase.'),
  estimated_rows: z.number().int().positive().describe('Rows the run will record on its output grid (ME event rows come on top).'),
  cost_drivers: z.array(CostDriverSchema).describe('What the price is made of.'),
  checkout: CheckoutInfoSchema.optional(),
  credits: CreditsInfoSchema.optional(),
  x402: z
    .object({ accepts: z.array(z.record(z.string(), z.unknown())) })
    .optional()
    .describe('x402 requirements when x402 payment is offered (sign one and pass it as _meta["x402/payment"] to simulate).'),
  checkout_unavailable: z
    .object({ code: z.literal('PAYMENT_PROVIDER_UNAVAILABLE'), message: z.string() })
    .optional()
    .describe(
      'Payment is due but no checkout could be opened now (the payment provider is unreachable); the price stands. Ask again later.',
    ),
  next_steps: z.array(z.string()).describe('What to do next.'),
});
export type QuoteSuccess = z.infer<typeof QuoteSuccessSchema>;

export const QuoteOutputSchema = flatOutputSchema(
  [QuoteSuccessSchema, ErrorResultSchema],
  'status "quoted": the price of this simulate request and, when payment is required, where to pay; status "error": see error.code / error.hint.',
);

export const CheckoutSessionIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_]+$/, 'session_id is the id from a payment_required answer (letters, digits, underscores)')
  .describe('session_id from the payment_required answer (or from quote / POST /pay).');

export const RedeemCheckoutInputSchema = z.strictObject({ session_id: CheckoutSessionIdSchema });
export type RedeemCheckoutInput = z.infer<typeof RedeemCheckoutInputSchema>;

export const RedeemedSchema = z.object({
  status: z.literal('redeemed'),
  session_id: z.string().describe('The checkout session this answer is about.'),
  payment_token: z.string().describe('Pass as payment_token to simulate. Single-use; shown only once.'),
  expires_at: z.string().describe('ISO 8601 time after which the token is refused.'),
  fmu_id: z.string().optional().describe('When set, the token pays only for runs of this model.'),
  next_steps: z.array(z.string()).describe('What to do next.'),
});
export type Redeemed = z.infer<typeof RedeemedSchema>;

export const PendingSchema = z.object({
  status: z.literal('pending'),
  session_id: z.string().describe('The checkout session this answer is about.'),
  checkout_url: z.string().describe('Where the payment is still awaited.'),
  expires_at: z.string().describe('When the checkout expires.'),
  next_steps: z.array(z.string()).describe('What to do next.'),
});
export type Pending = z.infer<typeof PendingSchema>;

export const RedeemCheckoutOutputSchema = flatOutputSchema(
  [RedeemedSchema, PendingSchema, ErrorResultSchema],
  'status "redeemed": payment_token for simulate; status "pending": not paid yet, retry after paying; status "error": see error.code.',
);
export type RedeemCheckoutOutput = Redeemed | Pending;

/** REST POST /pay: a checkout for one simulation (of fmu_id, when given). */
export const PayInputSchema = z.strictObject({
  fmu_id: FmuIdSchema.optional().describe('Restrict the token to runs of this model.'),
});
export type PayInput = z.infer<typeof PayInputSchema>;

export const PayOutputSchema = z.object({
  status: z.literal('checkout_created'),
  amount: z.number(),
  currency: z.string(),
  ...CheckoutInfoSchema.shape,
  next_steps: z.array(z.string()),
});
export type PayOutput = z.infer<typeof PayOutputSchema>;
