/**
 * x402 v2: the requirements this gateway publishes for a price, and the facilitator calls that
 * verify a client's signed payment before the run and settle it after. The facilitator is reached
 * through an injected fetch (Node's by default); no chain code lives here.
 */
import { GatewayError } from '../errors.ts';
import {
  X402_VERSION,
  X402PaymentPayloadSchema,
  X402SettleResponseSchema,
  X402VerifyResponseSchema,
  type X402PaymentPayload,
  type X402PaymentRequired,
  type X402PaymentRequirements,
  type X402SettleResponse,
} from '../schemas/x402.ts';
import type { Price } from './pricing.ts';

export interface X402Config {
  payTo: string;
  network: string;
  asset: string;
  assetDecimals: number;
  facilitatorUrl: string;
  maxTimeoutSeconds: number;
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

/** Amount of the stablecoin in atomic units for a price in USD minor units (cents). */
export function atomicAmount(price: Price, decimals: number): string {
  // cents → atomic units: × 10^(decimals - 2), exact in bigint.
  const cents = BigInt(price.amountMinor);
  return decimals >= 2 ? (cents * 10n ** BigInt(decimals - 2)).toString() : (cents / 10n ** BigInt(2 - decimals)).toString();
}

/** x402 settles in a USD stablecoin: offered only for USD prices. */
export function x402Requirements(cfg: X402Config, price: Price, resource: string, description: string): X402PaymentRequired | undefined {
  if (price.currency !== 'usd') return undefined;
  return {
    x402Version: X402_VERSION,
    resource: { url: resource, description, mimeType: 'application/json' },
    accepts: [
      {
        scheme: 'exact',
        network: cfg.network,
        amount: atomicAmount(price, cfg.assetDecimals),
        asset: cfg.asset,
        payTo: cfg.payTo,
        maxTimeoutSeconds: cfg.maxTimeoutSeconds,
        extra: { name: 'USDC', version: '2' },
      },
    ],
  };
}

/** Same requirement? (the client must sign exactly what we ask for). */
function sameRequirement(a: X402PaymentRequirements, b: X402PaymentRequirements): boolean {
  return (
    a.scheme === b.scheme &&
    a.network === b.network &&
    a.amount === b.amount &&
    a.asset.toLowerCase() === b.asset.toLowerCase() &&
    a.payTo.toLowerCase() === b.payTo.toLowerCase()
  );
}

export interface VerifiedX402Payment {
  payer?: string;
  /** Settles the payment at the facilitator (after the run). */
  settle(): Promise<X402SettleResponse>;
}

async function post(fetchFn: FetchLike, url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res;
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw new GatewayError('PAYMENT_PROVIDER_ERROR', 'The x402 facilitator could not be reached');
  }
  if (!res.ok) throw new GatewayError('PAYMENT_PROVIDER_ERROR', `The x402 facilitator answered HTTP ${res.status}`);
  try {
    return await res.json();
  } catch {
    throw new GatewayError('PAYMENT_PROVIDER_ERROR', 'The x402 facilitator answered with something other than JSON');
  }
}

/**
 * Checks the payload's shape and that it accepts our requirement, then asks the facilitator to
 * verify it. Throws PAYMENT_INVALID (with the facilitator's reason) or PAYMENT_PROVIDER_ERROR.
 */
export async function verifyX402Payment(
  cfg: X402Config,
  fetchFn: FetchLike,
  payment: unknown,
  required: X402PaymentRequired,
  timeoutMs = 15_000,
): Promise<VerifiedX402Payment> {
  const parsed = X402PaymentPayloadSchema.safeParse(payment);
  if (!parsed.success) {
    throw new GatewayError('PAYMENT_INVALID', '_meta["x402/payment"] is not an x402 v2 PaymentPayload', {
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  const payload: X402PaymentPayload = parsed.data;
  const requirement = required.accepts.find((r) => sameRequirement(r, payload.accepted));
  if (requirement === undefined) {
    throw new GatewayError(
      'PAYMENT_INVALID',
      "The x402 payment does not accept this request's requirements (amount, asset, network or payTo differ)",
      {
        accepts: required.accepts,
      },
    );
  }
  const base = cfg.facilitatorUrl.replace(/\/+$/, '');
  const body = { x402Version: X402_VERSION, paymentPayload: payload, paymentRequirements: requirement };
  const verified = X402VerifyResponseSchema.safeParse(await post(fetchFn, `${base}/verify`, body, timeoutMs));
  if (!verified.success) throw new GatewayError('PAYMENT_PROVIDER_ERROR', 'The x402 facilitator answered /verify with an unexpected shape');
  if (!verified.data.isValid) {
    throw new GatewayError(
      'PAYMENT_INVALID',
      `The x402 facilitator refused the payment: ${verified.data.invalidReason ?? 'no reason given'}`,
      {
        reason: verified.data.invalidReason ?? 'unknown',
      },
    );
  }
  let settled: Promise<X402SettleResponse> | undefined;
  return {
    ...(verified.data.payer === undefined ? {} : { payer: verified.data.payer }),
    settle() {
      settled ??= (async () => {
        const res = X402SettleResponseSchema.safeParse(await post(fetchFn, `${base}/settle`, body, timeoutMs));
        if (!res.success)
          throw new GatewayError('PAYMENT_PROVIDER_ERROR', 'The x402 facilitator answered /settle with an unexpected shape');
        if (!res.data.success) {
          throw new GatewayError('PAYMENT_INVALID', `The x402 payment could not be settled: ${res.data.errorReason ?? 'no reason given'}`, {
            reason: res.data.errorReason ?? 'unknown',
          });
        }
        return res.data;
      })();
      return settled;
    },
  };
}
