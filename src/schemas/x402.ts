/**
 * x402 v2: the PaymentRequired object a server publishes and the settlement response it returns
 * (https://github.com/coinbase/x402, specs/x402-specification-v2.md). Over MCP the requirements
 * travel in the tool result; the client retries with `_meta["x402/payment"]` (a PaymentPayload)
 * and receives `_meta["x402/payment-response"]`.
 */
import { z } from 'zod';

export const X402_VERSION = 2 as const;
/** Request `_meta` key of the client's payment payload, and result `_meta` key of the settlement. */
export const X402_PAYMENT_META = 'x402/payment';
export const X402_PAYMENT_RESPONSE_META = 'x402/payment-response';

export const X402PaymentRequirementsSchema = z.object({
  scheme: z.string().describe('"exact"'),
  network: z.string().describe('CAIP-2, e.g. "eip155:8453"'),
  amount: z.string().describe('atomic units of asset, decimal string'),
  asset: z.string().describe('token contract'),
  payTo: z.string(),
  maxTimeoutSeconds: z.number().int().positive(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type X402PaymentRequirements = z.infer<typeof X402PaymentRequirementsSchema>;

export const X402ResourceSchema = z.object({
  url: z.string().describe('fmu-gateway://tools/<name>'),
  description: z.string().optional(),
  mimeType: z.string().optional(),
});

/** The fields of the v2 PaymentRequired object, spread into the payment_required envelope. */
export const X402PaymentRequiredFields = {
  x402Version: z.literal(X402_VERSION).optional().describe('present when x402 payment is offered'),
  resource: X402ResourceSchema.optional().describe('what is paid for'),
  accepts: z.array(X402PaymentRequirementsSchema).optional().describe('sign one, call again with _meta["x402/payment"]'),
  // No `error` string here (the v2 object may carry one): it would clash with the error variant's
  // `error` object in the flat tool output schemas.
};

export const X402PaymentRequiredSchema = z.object({
  x402Version: z.literal(X402_VERSION),
  resource: X402ResourceSchema,
  accepts: z.array(X402PaymentRequirementsSchema).min(1),
  error: z.string().optional(),
});
export type X402PaymentRequired = z.infer<typeof X402PaymentRequiredSchema>;

/** The client's PaymentPayload (v2): what it accepted and the scheme-specific signed payload. */
export const X402PaymentPayloadSchema = z.object({
  x402Version: z.literal(X402_VERSION),
  resource: X402ResourceSchema.optional(),
  accepted: X402PaymentRequirementsSchema,
  payload: z.record(z.string(), z.unknown()),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type X402PaymentPayload = z.infer<typeof X402PaymentPayloadSchema>;

/** Facilitator answers (POST /verify, POST /settle). */
export const X402VerifyResponseSchema = z.object({
  isValid: z.boolean(),
  invalidReason: z.string().optional(),
  payer: z.string().optional(),
});
export const X402SettleResponseSchema = z.object({
  success: z.boolean(),
  errorReason: z.string().optional(),
  payer: z.string().optional(),
  transaction: z.string(),
  network: z.string(),
});
export type X402SettleResponse = z.infer<typeof X402SettleResponseSchema>;
