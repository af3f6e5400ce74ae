/**
 * Credit balances and their ledger, per account (payments' key reference). The balance is a
 * backend counter (`count:credits:<account>`); every change goes through kv.atomic with its ledger
 * entry (`credit_ledger:<account>:<stamp>-<id>`, newest first by key) and, for purchases and
 * refunds, one-shot markers (`credit_once:<name>`), so:
 * - a draw is refused, not applied, when it would take the balance below zero (any concurrency);
 * - a purchase or refund whose marker exists changes nothing (replayed webhooks, double refunds);
 * - the balance always equals the sum of the ledger's deltas.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { CreditLedgerEntrySchema, type CreditLedgerEntry } from '../schemas/credits.ts';
import { USAGE_STAMP_WIDTH, type KvStore } from './kv.ts';

export const CREDITS_COUNTER = 'credits';
const ACCOUNT = /^[A-Za-z0-9_-]{1,128}$/;
const ONCE = /^[A-Za-z0-9_:.-]{1,300}$/;

export type CreditChange =
  | { applied: true; balance: number; entry: CreditLedgerEntry; ref: string }
  | { applied: false; reason: 'insufficient' | 'duplicate'; balance: number };

export interface CreditRepository {
  balance(account: string): Promise<number>;
  /**
   * Changes the balance by `delta` with its ledger entry, all or nothing: refused ("insufficient")
   * below zero, refused ("duplicate") when one of the `once` markers already exists.
   */
  change(
    account: string,
    delta: number,
    entry: Omit<CreditLedgerEntry, 'id' | 'created_at' | 'delta'>,
    once?: readonly string[],
  ): Promise<CreditChange>;
  /** Adds fields (run_id) to an entry written by change(); its delta never changes. */
  annotate(ref: string, fields: Pick<CreditLedgerEntry, 'run_id'>): Promise<void>;
  /** One page of the ledger, newest first. */
  ledger(account: string, opts: { limit: number; cursor?: string }): Promise<{ entries: CreditLedgerEntry[]; next_cursor?: string }>;
}

const stamp = (ms: number) => String(Math.max(0, ms)).padStart(USAGE_STAMP_WIDTH, '0');
/** Orders this process's entries of one millisecond (keys sort newest first by stamp, then this). */
let sequence = 0;
const nextSeq = () => (sequence = (sequence + 1) % 1e6).toString().padStart(6, '0');

function checkAccount(account: string): void {
  // Part of a key: a colon or a wildcard here would address another account's rows.
  if (!ACCOUNT.test(account)) throw new GatewayError('INTERNAL', 'credits: malformed account reference');
}

export function createCreditRepository(kv: KvStore): CreditRepository {
  const prefix = (account: string) => `credit_ledger:${account}:`;
  return {
    async balance(account) {
      checkAccount(account);
      return kv.counter(CREDITS_COUNTER, account);
    },
    async change(account, delta, fields, once = []) {
      checkAccount(account);
      for (const o of once) if (!ONCE.test(o)) throw new GatewayError('INTERNAL', 'credits: malformed one-shot marker');
      const now = Date.now();
      const id = `cle_${randomBytes(9).toString('base64url')}`;
      const entry: CreditLedgerEntry = { id, created_at: new Date(now).toISOString(), delta, ...fields };
      const ref = `${prefix(account)}${stamp(now)}${nextSeq()}-${id}`;
      const out = await kv.atomic({
        counter: { name: CREDITS_COUNTER, caller: account, delta, min: 0 },
        once: once.map((o) => [`credit_once:${o}`, { at: entry.created_at, entry: id }]),
        puts: [[ref, entry]],
      });
      if (out.ok) return { applied: true, balance: out.value, entry, ref };
      return { applied: false, reason: out.reason === 'once' ? 'duplicate' : 'insufficient', balance: out.value };
    },
    async annotate(ref, fields) {
      const cur = await kv.get<CreditLedgerEntry>(ref);
      if (cur === undefined) return;
      await kv.set(ref, { ...cur, ...fields, delta: cur.delta });
    },
    async ledger(account, opts) {
      checkAccount(account);
      const page = await kv.page<unknown>(prefix(account), {
        limit: opts.limit,
        reverse: true,
        ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
      });
      const entries = page.items.map(([key, v]) => {
        const parsed = CreditLedgerEntrySchema.safeParse(v);
        // A ledger row that does not parse is corruption: an error, never a silently shorter ledger.
        if (!parsed.success) throw new GatewayError('INTERNAL', `credits: ledger entry ${key} is corrupt`);
        return parsed.data;
      });
      return page.next === undefined ? { entries } : { entries, next_cursor: page.next };
    },
  };
}
