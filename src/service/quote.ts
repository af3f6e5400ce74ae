/**
 * Use case quote: the price of a simulate request (same input, same checks and defaults), whether
 * payment is required, the estimated rows and cost drivers, and when required a checkout to pay
 * at (the same data simulate's payment_required answer carries).
 */
import { isGatewayError } from '../errors.ts';
import type { QuoteSuccess } from '../schemas/payments.ts';
import { estimateRows, type SimulateInput } from '../schemas/simulate.ts';
import type { ServiceContext } from './context.ts';
import { ensureOnRemote, rememberRemoteSession } from './forward.ts';
import { placeRun } from './placement.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { activePayments } from './payment-gate.ts';
import { planSimulation } from './simulate-plan.ts';

export async function quote(ctx: ServiceContext, input: SimulateInput, opts: { callerId?: string } = {}): Promise<QuoteSuccess> {
  // Priced where it would run (FMU_GATEWAY_MODE): a forwarded run is paid to the remote gateway.
  const placement = await placeRun(ctx, input.fmu_id, {
    ...(input.fmi_version !== undefined ? { fmiVersion: input.fmi_version } : {}),
    ...(input.interface !== undefined ? { interface: input.interface } : {}),
  });
  if (placement.where === 'remote') {
    await ensureOnRemote(ctx, placement.client, input.fmu_id);
    const q = await placement.client.quote(input);
    if (q.checkout !== undefined) rememberRemoteSession(ctx, q.checkout.session_id);
    return q;
  }
  const { opened } = await resolveFmu(ctx, input.fmu_id, input.fmi_version);
  const callerId = opts.callerId ?? ctx.access?.callerId;
  const plan = planSimulation(opened.modelDescription, input, ctx.config.limits.maxOutputRows);
  const rows = estimateRows(plan.startTime, plan.stopTime, plan.step);
  const payments = activePayments(ctx);
  if (payments === undefined) {
    return {
      status: 'quoted',
      payments_enabled: false,
      payment_required: false,
      amount: 0,
      amount_minor: 0,
      currency: ctx.config.stripe.currency.toLowerCase(),
      estimated_rows: rows,
      cost_drivers: [
        { name: 'payments_enabled', value: 0, effect: 'payments are disabled on this gateway (STRIPE_ENABLED=false): every run is free' },
      ],
      next_steps: ['Call simulate with the same arguments; no payment is needed (omit payment_token and payment_method).'],
    };
  }
  const price = payments.price(rows);
  if (price.amountMinor === 0) {
    return {
      status: 'quoted',
      payments_enabled: true,
      payment_required: false,
      amount: 0,
      amount_minor: 0,
      currency: price.currency,
      estimated_rows: rows,
      cost_drivers: price.drivers,
      next_steps: ['Call simulate with the same arguments; this run is free.'],
    };
  }
  // The key's prepaid credits: when they cover the run, simulate draws them and asks nothing.
  const credits = payments.credits === undefined ? undefined : await payments.credits.info(callerId);
  // What every priced answer says, with or without a checkout link.
  const priced = {
    status: 'quoted',
    payments_enabled: true,
    payment_required: true,
    amount: price.amount,
    amount_minor: price.amountMinor,
    currency: price.currency,
    estimated_rows: rows,
    cost_drivers: price.drivers,
    ...(credits === undefined ? {} : { credits }),
  } as const;
  if (credits !== undefined && credits.balance >= price.units) {
    return {
      ...priced,
      payment_required: false,
      next_steps: [
        `Call simulate with the same arguments: ${price.units} of your ${credits.balance} prepaid credit(s) pay for it (no checkout).`,
      ],
    };
  }
  let required: Awaited<ReturnType<typeof payments.paymentRequired>>;
  try {
    required = await payments.paymentRequired({
      ...(callerId === undefined ? {} : { callerId }),
      price,
      fmuId: input.fmu_id,
      request: input,
      resource: 'fmu-gateway://tools/simulate',
    });
  } catch (e) {
    // The price is ours, computed above: a provider outage costs the checkout link, not the quote.
    if (!isGatewayError(e) || e.code !== 'PAYMENT_PROVIDER_ERROR') throw e;
    ctx.logger.warn('quote: no checkout (payment provider unavailable)', { error: e.message });
    // x402 needs no provider round trip: its offer stands when it is configured.
    const offer = payments.x402Offer(price, 'fmu-gateway://tools/simulate');
    return {
      ...priced,
      checkout_unavailable: {
        code: 'PAYMENT_PROVIDER_UNAVAILABLE',
        message: `No checkout could be opened: ${e.message}. The price stands; ask again in a minute for a checkout link.`,
      },
      ...(offer === undefined ? {} : { x402: { accepts: offer.accepts } }),
      next_steps: ['The payment provider cannot be reached right now: call quote (or simulate) again in a minute for a checkout link.'],
    };
  }
  return {
    ...priced,
    checkout: {
      checkout_url: required.checkout_url,
      session_id: required.session_id,
      expires_at: required.expires_at,
      methods: required.methods,
    },
    ...(required.accepts === undefined ? {} : { x402: { accepts: required.accepts } }),
    next_steps: required.next_steps,
  };
}
