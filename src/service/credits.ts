/**
 * Use cases of credit packs (REST /credits, MCP buy_credits, CLI `credits`): the balance with its
 * ledger, a checkout for a pack, and whether a pack checkout has been credited. Remote mode asks
 * the remote gateway (its credits pay its runs).
 */
import { GatewayError } from '../errors.ts';
import type { CreditPayments } from '../payments/payments.ts';
import type { CreditCheckout, CreditCheckoutStatus, Credits, CreditsListQuery } from '../schemas/credits.ts';
import type { ServiceContext } from './context.ts';
import { activePayments } from './payment-gate.ts';
import { forwardAll } from './placement.ts';

function creditPayments(ctx: ServiceContext): CreditPayments {
  const credits = activePayments(ctx)?.credits;
  if (credits === undefined) {
    throw new GatewayError('PAYMENTS_DISABLED', 'This gateway does not charge for runs (payments are disabled): there are no credits', {
      hint: 'Runs here are free: call simulate directly.',
    });
  }
  return credits;
}

const callerOf = (ctx: ServiceContext, opts: { callerId?: string }) => opts.callerId ?? ctx.access?.callerId;

export async function listCredits(ctx: ServiceContext, query: CreditsListQuery, opts: { callerId?: string } = {}): Promise<Credits> {
  const remote = forwardAll(ctx);
  if (remote !== undefined) return remote.credits(query);
  return creditPayments(ctx).list(callerOf(ctx, opts), {
    limit: query.limit,
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  });
}

export async function buyCredits(ctx: ServiceContext, pack: string, opts: { callerId?: string } = {}): Promise<CreditCheckout> {
  const remote = forwardAll(ctx);
  if (remote !== undefined) return remote.buyCredits(pack);
  return creditPayments(ctx).checkout(callerOf(ctx, opts), pack);
}

export async function creditCheckoutStatus(
  ctx: ServiceContext,
  sessionId: string,
  opts: { callerId?: string } = {},
): Promise<CreditCheckoutStatus> {
  const remote = forwardAll(ctx);
  if (remote !== undefined) return remote.creditCheckoutStatus(sessionId);
  return creditPayments(ctx).status(callerOf(ctx, opts), sessionId);
}
