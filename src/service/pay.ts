/**
 * Use case pay (REST POST /pay): a checkout for one simulation of the standard size (one price
 * unit), optionally restricted to one model, without a simulate request first.
 */
import { GatewayError } from '../errors.ts';
import type { PayInput, PayOutput } from '../schemas/payments.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { activePayments } from './payment-gate.ts';

export async function payForRun(ctx: ServiceContext, input: PayInput, opts: { callerId?: string } = {}): Promise<PayOutput> {
  const payments = activePayments(ctx);
  if (payments === undefined) {
    throw new GatewayError('PAYMENTS_DISABLED', 'Payments are disabled on this gateway: runs are free, there is nothing to pay', {
      hint: 'Call POST /simulate directly.',
    });
  }
  // An id this caller cannot use is NOT_FOUND now, not after paying.
  if (input.fmu_id !== undefined) await resolveFmu(ctx, input.fmu_id);
  const callerId = opts.callerId ?? ctx.access?.callerId;
  const price = payments.price(1);
  const required = await payments.paymentRequired({
    ...(callerId === undefined ? {} : { callerId }),
    price,
    ...(input.fmu_id === undefined ? {} : { fmuId: input.fmu_id }),
  });
  return {
    status: 'checkout_created',
    amount: required.amount,
    currency: required.currency,
    checkout_url: required.checkout_url,
    session_id: required.session_id,
    expires_at: required.expires_at,
    methods: required.methods,
    next_steps: [
      `Open ${required.checkout_url} and pay (a human pays there).`,
      `GET /payments/checkout/${required.session_id} (same key): 202 "pending" until paid, then 200 with payment_token.`,
      `POST /simulate with payment_token: it pays for one run of up to ${ctx.config.stripe.rowsPerUnit} rows${input.fmu_id === undefined ? '' : ` of ${input.fmu_id}`}.`,
    ],
  };
}
