/**
 * Payment gating of a run, shared by simulate (and any other paid use case): with payments off,
 * runs are free and payment fields are refused rather than ignored; with payments on, a run
 * needs a payment token (consumed atomically just before the run, given back when the run fails
 * for a gateway reason) or a verified x402 payment (settled after the run); without either, the
 * key's prepaid credits pay (drawn atomically, given back on a gateway failure); without credits
 * the call is answered PAYMENT_REQUIRED with a fresh checkout and the credit packs on offer.
 */
import { GatewayError, isGatewayError } from '../errors.ts';
import type { CreditLease, Payments, Price } from '../payments/payments.ts';
import type { X402SettleResponse } from '../schemas/x402.ts';
import type { ServiceContext } from './context.ts';

/**
 * Failures that are the gateway's own, raised in this process, never by a worker (a worker may
 * claim none of them: runner/protocol.ts): admission and worker start-up before the FMU's code
 * ran, our own bugs (INTERNAL, or anything thrown that is not a GatewayError), and the store or the
 * disk failing to keep the finished run (the caller got nothing). The caller's payment is given
 * back. Everything after the FMU was loaded is the FMU's (FMU_CRASHED, SIMULATION_*, limits) and
 * a cancellation is the caller's choice: the payment stays spent.
 */
const GATEWAY_REASONS: ReadonlySet<string> = new Set([
  'QUEUE_FULL',
  'SERVER_BUSY',
  'WORKER_START_FAILED',
  'SANDBOX_UNAVAILABLE',
  'INTERNAL',
  'REMOTE_ERROR',
  'STORE_UNAVAILABLE',
  'DISK_FULL',
] satisfies string[]);

export function isGatewayFailure(e: unknown): boolean {
  return !isGatewayError(e) || GATEWAY_REASONS.has(e.code);
}

export interface PaymentFields {
  payment_token?: string | undefined;
  payment_method?: string | undefined;
}

export interface GateRequest {
  input: PaymentFields & Record<string, unknown>;
  fmuId: string;
  rows: number;
  callerId?: string;
  /** The client's x402 PaymentPayload (MCP `_meta["x402/payment"]`). */
  x402Payment?: unknown;
  /** What is paid for, e.g. "fmu-gateway://tools/simulate". */
  resource: string;
}

export interface Gated<T> {
  value: T;
  /** Present when the run was paid with x402. */
  settlement?: X402SettleResponse;
}

/** Payments that actually charge, or undefined. */
export function activePayments(ctx: ServiceContext): Payments | undefined {
  return ctx.payments?.enabled === true ? ctx.payments : undefined;
}

function refuseWhenDisabled(req: GateRequest): void {
  const given = [
    ...(req.input.payment_token === undefined ? [] : ['payment_token']),
    ...(req.input.payment_method === undefined ? [] : ['payment_method']),
    ...(req.x402Payment === undefined ? [] : ['_meta["x402/payment"]']),
  ];
  if (given.length > 0) {
    throw new GatewayError(
      'PAYMENTS_DISABLED',
      `This gateway does not charge for runs (payments are disabled), so ${given.join(' and ')} cannot be used`,
      {
        fields: given,
        hint: `Call again without ${given.join(' / ')}: runs here are free.`,
      },
    );
  }
}

export async function gatedRun<T>(ctx: ServiceContext, req: GateRequest, run: () => Promise<T>): Promise<Gated<T>> {
  const payments = activePayments(ctx);
  if (payments === undefined) {
    refuseWhenDisabled(req);
    return { value: await run() };
  }
  const price: Price = payments.price(req.rows);
  // STRIPE_SIMULATION_PRICE_CENTS=0: free runs; a token given anyway is kept for a priced run.
  if (price.amountMinor === 0) return { value: await run() };
  const method = req.input.payment_method;
  if (method !== undefined && !payments.methods.includes(method as never)) {
    throw new GatewayError('PAYMENT_METHOD_UNSUPPORTED', `payment_method "${method}" is not accepted here`, {
      methods: [...payments.methods],
      hint: `Use one of: ${payments.methods.join(', ')} (or omit payment_method).`,
    });
  }
  if (req.x402Payment !== undefined) {
    if (req.input.payment_token !== undefined) {
      throw new GatewayError('BAD_REQUEST', 'Pay either with payment_token or with an x402 payment, not both', {
        hint: 'Drop payment_token or _meta["x402/payment"].',
      });
    }
    const verified = await payments.verifyX402(req.x402Payment, price, req.resource);
    let value: T;
    try {
      value = await run();
    } catch (e) {
      // A verified but unsettled payment is simply never collected when we failed.
      if (!isGatewayFailure(e)) await verified.settle();
      throw e;
    }
    return { value, settlement: await verified.settle() };
  }
  if (req.input.payment_token !== undefined) {
    const lease = await payments.takeToken(req.callerId, req.input.payment_token, { fmuId: req.fmuId, price });
    try {
      return { value: await run() };
    } catch (e) {
      if (isGatewayFailure(e)) {
        // The store may be what failed: the refund is then lost with it, which is logged (the
        // caller's error stays the original one).
        await lease.giveBack().then(
          () => ctx.logger.info('payment token given back after a gateway failure', { session_id: lease.record.session_id }),
          (g: unknown) =>
            ctx.logger.error('a payment token could not be given back', { session_id: lease.record.session_id, error: String(g) }),
        );
      }
      throw e;
    }
  }
  // Prepaid credits pay first: drawn atomically now, before any checkout is opened.
  const credits = payments.credits;
  let balance = 0;
  if (credits !== undefined) {
    const drawn = await credits.draw(req.callerId, price.units);
    if ('lease' in drawn) return runOnCredits(ctx, drawn.lease, run);
    balance = drawn.balance;
  }
  const required = await payments.paymentRequired({
    ...(req.callerId === undefined ? {} : { callerId: req.callerId }),
    price,
    fmuId: req.fmuId,
    request: req.input,
    resource: req.resource,
  });
  const offer = credits === undefined || credits.packs.length === 0 ? undefined : { balance, packs: [...credits.packs] };
  throw new GatewayError(
    'PAYMENT_REQUIRED',
    `This run costs ${price.amount} ${price.currency.toUpperCase()}: pay, then call again with payment_token`,
    {
      ...required,
      ...(offer === undefined
        ? {}
        : {
            credits: offer,
            next_steps: [
              ...required.next_steps,
              `Or buy a credit pack (buy_credits, or POST /credits/checkout {"pack": "${offer.packs[0]?.pack ?? ''}"}): later runs are paid from the balance, without a checkout each.`,
            ],
          }),
    },
  );
}

/** A run paid from credits: the drawn units come back (once) when it fails for a gateway reason. */
async function runOnCredits<T>(ctx: ServiceContext, lease: CreditLease, run: () => Promise<T>): Promise<Gated<T>> {
  let value: T;
  try {
    value = await run();
  } catch (e) {
    if (isGatewayFailure(e)) {
      await lease.giveBack().then(
        () => ctx.logger.info('credits given back after a gateway failure', { units: lease.units }),
        (g: unknown) => ctx.logger.error('credits could not be given back', { units: lease.units, error: String(g) }),
      );
    }
    throw e;
  }
  // simulate's and the system run's value carry their run id: noted on the draw's ledger entry.
  const runId = (value as { runId?: unknown } | null)?.runId;
  if (typeof runId === 'string') await lease.annotate(runId);
  return { value };
}
