/**
 * Credit packs: prepaid runs bought through Stripe Checkout (CREDIT_PACKS), drawn one price unit
 * per paid run before any 402. One shape per concept, shared by REST, MCP, the CLI and the remote
 * client: a pack, the balance with its ledger, a pack checkout, and the credits block quote and
 * payment_required carry.
 */
import { z } from 'zod';
import { GatewayError } from '../errors.ts';

/** A pack's id is its run count as text ("10"); callers may send the number too. */
export const CreditPackIdSchema = z
  .union([z.string().regex(/^[1-9][0-9]{0,5}$/, 'pack is a pack id such as "10" (its number of runs)'), z.number().int().positive()])
  .transform((v) => String(v))
  .describe('Pack id: its number of runs, e.g. "10".');

export const CreditPackSchema = z.object({
  pack: z.string().describe('Pack id (its run count).'),
  runs: z.number().int().positive(),
  amount_cents: z.number().int().positive().describe('Price in minor units of currency.'),
  currency: z.string().describe('ISO 4217, lowercase.'),
});
export type CreditPack = z.infer<typeof CreditPackSchema>;

export const CREDIT_REASONS = ['purchase', 'run', 'refund'] as const;

export const CreditLedgerEntrySchema = z.object({
  id: z.string(),
  created_at: z.string().describe('ISO 8601.'),
  delta: z.number().int().describe('+runs for a purchase or refund, -units for a run.'),
  reason: z.enum(CREDIT_REASONS),
  run_id: z.string().optional(),
  checkout_session_id: z.string().optional(),
});
export type CreditLedgerEntry = z.infer<typeof CreditLedgerEntrySchema>;

/** The credits block of quote and of payment_required: what the key holds, and what it can buy. */
export const CreditsInfoSchema = z
  .object({
    balance: z.number().int().nonnegative(),
    packs: z.array(CreditPackSchema),
  })
  .describe('Prepaid runs of this key; buy a pack (buy_credits, POST /credits/checkout) to pay runs without a checkout each.');
export type CreditsInfo = z.infer<typeof CreditsInfoSchema>;

export const CreditsListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export type CreditsListQuery = z.infer<typeof CreditsListQuerySchema>;

export const CreditsSchema = z.object({
  balance: z.number().int().nonnegative(),
  packs: z.array(CreditPackSchema),
  ledger: z.array(CreditLedgerEntrySchema).describe('Newest first.'),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last.'),
});
export type Credits = z.infer<typeof CreditsSchema>;

export const CreditCheckoutInputSchema = z.strictObject({ pack: CreditPackIdSchema });
export type CreditCheckoutInput = z.infer<typeof CreditCheckoutInputSchema>;

export const CreditCheckoutSchema = z.object({
  pack: z.string(),
  runs: z.number().int().positive(),
  amount_cents: z.number().int().positive(),
  currency: z.string(),
  checkout_url: z.string().describe('A human pays here; the runs are credited to this key once Stripe confirms.'),
  session_id: z.string(),
});
export type CreditCheckout = z.infer<typeof CreditCheckoutSchema>;

/** GET /credits/checkout/{session_id}: has this pack purchase been credited yet? */
export const CreditCheckoutStatusSchema = z.object({
  session_id: z.string(),
  status: z.enum(['pending', 'credited', 'expired']),
  pack: z.string(),
  runs: z.number().int().positive(),
  amount_cents: z.number().int().positive(),
  currency: z.string(),
  checkout_url: z.string(),
  balance: z.number().int().nonnegative().describe('The key’s balance now.'),
});
export type CreditCheckoutStatus = z.infer<typeof CreditCheckoutStatusSchema>;

/** MCP buy_credits output: the purchase's status and what to do next. */
export const BuyCreditsSuccessSchema = CreditCheckoutStatusSchema.extend({ next_steps: z.array(z.string()) });
export type BuyCreditsSuccess = z.infer<typeof BuyCreditsSuccessSchema>;

/** One pack as configured: its run count and price in minor units. */
export interface ConfiguredCreditPack {
  runs: number;
  amountCents: number;
}

/**
 * CREDIT_PACKS ("10:800,50:3500" = runs:cents, comma-separated; empty = none) → packs, or
 * CONFIG_INVALID naming the bad entry: read once at start, so a typo stops the gateway rather
 * than selling a wrong pack.
 */
export function parseCreditPacks(text: string): ConfiguredCreditPack[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return [];
  const packs: ConfiguredCreditPack[] = [];
  for (const part of trimmed.split(',')) {
    const m = /^\s*([1-9][0-9]{0,5}):([1-9][0-9]{0,8})\s*$/.exec(part);
    if (m === null) {
      throw new GatewayError('CONFIG_INVALID', `CREDIT_PACKS: "${part.trim().slice(0, 40)}" is not runs:cents`, {
        variable: 'CREDIT_PACKS',
        hint: 'Write CREDIT_PACKS as runs:cents pairs separated by commas, e.g. "10:800,50:3500" (10 runs for 8.00), or leave it empty for no packs.',
      });
    }
    const runs = Number(m[1]);
    if (packs.some((p) => p.runs === runs)) {
      throw new GatewayError('CONFIG_INVALID', `CREDIT_PACKS: two packs of ${runs} runs (a pack's id is its run count)`, {
        variable: 'CREDIT_PACKS',
      });
    }
    packs.push({ runs, amountCents: Number(m[2]) });
  }
  return packs.sort((a, b) => a.runs - b.runs);
}
