/**
 * Wires payments for a long-running face: Config → createPayments over the account store's
 * payment repository. The store is opened on first use (a stdio server that is never asked for
 * money never opens it); with STRIPE_ENABLED=false nothing is created and nothing charges.
 */
import type { Config } from '../config.ts';
import type { Payments } from '../payments/payments.ts';
import type { CheckoutSessionRecord, CreditStore, PaymentStore, PaymentTokenRecord } from '../payments/port.ts';
import { parseCreditPacks } from '../schemas/credits.ts';
import type { Logger } from '../service/context.ts';
import type { AccountStore } from '../store/index.ts';

export interface GatewayPayments {
  payments?: Payments;
  close(): Promise<void>;
}

/** A PaymentStore that opens `open()` once, on the first call. */
function lazyStore(open: () => Promise<PaymentStore>): PaymentStore {
  let store: Promise<PaymentStore> | undefined;
  const get = (): Promise<PaymentStore> => (store ??= open());
  const credits = async (): Promise<CreditStore> => {
    const c = (await get()).credits;
    if (c === undefined) throw new Error('payments: the account store keeps no credits');
    return c;
  };
  return {
    getSession: async (id) => (await get()).getSession(id),
    putSession: async (r) => (await get()).putSession(r),
    putToken: async (h, r, ttl) => (await get()).putToken(h, r, ttl),
    consumeToken: async (h) => (await get()).consumeToken(h),
    putFlag: async (n, ttl) => (await get()).putFlag(n, ttl),
    takeFlag: async (n) => (await get()).takeFlag(n),
    hasFlag: async (n) => (await get()).hasFlag(n),
    credits: {
      balance: async (a) => (await credits()).balance(a),
      change: async (a, d, e, o) => (await credits()).change(a, d, e, o),
      annotate: async (r, f) => (await credits()).annotate(r, f),
      ledger: async (a, o) => (await credits()).ledger(a, o),
    },
  };
}

/**
 * `store`: the face's already-open account store, when it has one (serve); otherwise one is
 * opened from the configuration on first use and closed by close().
 */
export async function createGatewayPayments(config: Config, logger: Logger, store?: AccountStore): Promise<GatewayPayments> {
  // At start, whether or not payments are on: a typo in CREDIT_PACKS stops the gateway (CONFIG_INVALID).
  parseCreditPacks(config.stripe.creditPacks);
  if (!config.stripe.enabled) {
    if (config.x402.payTo !== undefined) logger.warn('X402_PAY_TO is set but STRIPE_ENABLED=false: payments are off, x402 is not offered');
    return { close: async () => undefined };
  }
  // Loaded only with payments on: Stripe's SDK and the store drivers are most of the bundle.
  const [{ createPayments }, { openAccountStore }] = await Promise.all([import('../payments/payments.ts'), import('../store/index.ts')]);
  let opened: Promise<AccountStore> | undefined;
  const repo = lazyStore(async () => {
    const s =
      store ??
      (await (opened ??= openAccountStore({
        dbPath: config.dbPath,
        ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
      })));
    return s.payments<CheckoutSessionRecord, PaymentTokenRecord>();
  });
  const payments = createPayments(config, { store: repo, logger });
  return {
    payments,
    close: async () => {
      if (opened !== undefined) await (await opened).close();
    },
  };
}
