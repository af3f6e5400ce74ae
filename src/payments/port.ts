/**
 * What payments need of the store (src/store implements it on keyv over SQLite, PostgreSQL or
 * Redis). Every operation is awaited before an answer is sent; `consumeToken` and `takeFlag` are
 * atomic on every backend, which is what makes a token single-use and a checkout redeemable once.
 */

export type CheckoutStatus = 'open' | 'paid' | 'expired' | 'redeemed';

export interface CheckoutSessionRecord {
  session_id: string;
  /** Hash of the caller's API key (never the key itself). */
  key_ref: string;
  status: CheckoutStatus;
  amount_minor: number;
  currency: string;
  checkout_url: string;
  /** ISO 8601. */
  expires_at: string;
  created_at: string;
  fmu_id?: string;
  request_hash?: string;
  paid_at?: string;
  redeemed_at?: string;
  /** Stripe event ids applied to this session, in order (idempotency, audit). */
  events?: string[];
  /** A credit pack purchase: the runs credited once paid (never redeemable for a token). */
  credit_runs?: number;
}

export interface PaymentTokenRecord {
  key_ref: string;
  session_id: string;
  amount_minor: number;
  currency: string;
  /** ISO 8601: the token is refused after this time. */
  expires_at: string;
  fmu_id?: string;
  request_hash?: string;
}

/** A ledger entry as credits write it (src/schemas/credits.ts CreditLedgerEntry). */
export interface CreditEntry {
  id: string;
  created_at: string;
  delta: number;
  reason: 'purchase' | 'run' | 'refund';
  run_id?: string;
  checkout_session_id?: string;
}

export type CreditChange =
  | { applied: true; balance: number; entry: CreditEntry; ref: string }
  | { applied: false; reason: 'insufficient' | 'duplicate'; balance: number };

/**
 * Prepaid run credits per account (key_ref). `change` is atomic with its ledger entry: refused
 * below zero, refused when one of the `once` markers exists (so a purchase or refund counts once).
 */
export interface CreditStore {
  balance(account: string): Promise<number>;
  change(
    account: string,
    delta: number,
    entry: Omit<CreditEntry, 'id' | 'created_at' | 'delta'>,
    once?: readonly string[],
  ): Promise<CreditChange>;
  annotate(ref: string, fields: { run_id?: string }): Promise<void>;
  ledger(account: string, opts: { limit: number; cursor?: string }): Promise<{ entries: CreditEntry[]; next_cursor?: string }>;
}

export interface PaymentStore {
  /** Credits (packs); absent on stores that do not keep them: no packs are sold, nothing is drawn. */
  credits?: CreditStore;
  getSession(sessionId: string): Promise<CheckoutSessionRecord | undefined>;
  putSession(record: CheckoutSessionRecord): Promise<void>;
  /** Stores a token record under the sha256 of the token, kept for ttlMs. */
  putToken(tokenHash: string, record: PaymentTokenRecord, ttlMs: number): Promise<void>;
  /** Atomically removes and returns the record: of many concurrent calls at most one gets it. */
  consumeToken(tokenHash: string): Promise<PaymentTokenRecord | undefined>;
  /** A named one-shot marker, kept for ttlMs. */
  putFlag(name: string, ttlMs: number): Promise<void>;
  /** Atomically removes the marker; true for exactly one caller when it existed. */
  takeFlag(name: string): Promise<boolean>;
  hasFlag(name: string): Promise<boolean>;
}
