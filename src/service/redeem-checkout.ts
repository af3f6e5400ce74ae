/**
 * Use case redeem_checkout: a checkout session id → the payment token once the checkout is paid
 * (handed out once, to the key that created the checkout), or status "pending" before.
 */
import { GatewayError } from '../errors.ts';
import type { RedeemCheckoutInput, RedeemCheckoutOutput } from '../schemas/payments.ts';
import type { ServiceContext } from './context.ts';
import { forwardAll } from './placement.ts';
import { activePayments } from './payment-gate.ts';

export async function redeemCheckout(
  ctx: ServiceContext,
  input: RedeemCheckoutInput,
  opts: { callerId?: string } = {},
): Promise<RedeemCheckoutOutput> {
  // Remote mode: checkouts are the remote gateway's (its simulate answered payment_required).
  const remote = forwardAll(ctx) ?? (ctx.remoteSessions?.has(input.session_id) === true ? ctx.remote : undefined);
  if (remote !== undefined) return remote.redeemCheckout(input.session_id);
  const payments = activePayments(ctx);
  if (payments === undefined) {
    throw new GatewayError('PAYMENTS_DISABLED', 'Payments are disabled on this gateway, so there is no checkout to redeem', {
      hint: 'Call simulate without payment_token: runs here are free.',
    });
  }
  return payments.redeem(opts.callerId ?? ctx.access?.callerId, input.session_id);
}
