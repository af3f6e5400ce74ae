/**
 * What src/payments needs of the store (its port, src/payments/port.ts): checkout sessions,
 * single-use payment tokens and one-shot flags. The record shapes belong to payments; this file
 * stores them as given (generic), adding only what storage must guarantee:
 * - `consumeToken` is atomic on every backend (kv.take: DELETE … RETURNING / GETDEL), so of many
 *   concurrent redemptions of one token exactly one gets the record;
 * - `restoreToken` gives a consumed token back (the paid run failed through no fault of the
 *   payer) for what is left of its lifetime;
 * - `takeFlag` is atomic too: a checkout turns into a token once.
 */
import { createCreditRepository, type CreditRepository } from './credits.ts';
import type { KvStore } from './kv.ts';

export interface StoredTokenRecord {
  /** ISO 8601: the record is not returned after this time. */
  expires_at: string;
}

export interface PaymentRepository<Session extends { session_id: string }, Token extends StoredTokenRecord> {
  getSession(sessionId: string): Promise<Session | undefined>;
  putSession(record: Session): Promise<void>;
  putToken(tokenHash: string, record: Token, ttlMs: number): Promise<void>;
  getToken(tokenHash: string): Promise<Token | undefined>;
  consumeToken(tokenHash: string): Promise<Token | undefined>;
  /** Puts a consumed token back until its expires_at; false when it has expired meanwhile. */
  restoreToken(tokenHash: string, record: Token): Promise<boolean>;
  putFlag(name: string, ttlMs: number): Promise<void>;
  takeFlag(name: string): Promise<boolean>;
  hasFlag(name: string): Promise<boolean>;
  /** Prepaid run credits (store/credits.ts). */
  credits: CreditRepository;
}

const live = <T extends StoredTokenRecord>(r: T | undefined): T | undefined =>
  r !== undefined && Date.parse(r.expires_at) > Date.now() ? r : undefined;

export function createPaymentRepository<Session extends { session_id: string }, Token extends StoredTokenRecord>(
  kv: KvStore,
): PaymentRepository<Session, Token> {
  return {
    async getSession(id) {
      return kv.get<Session>(`checkout:${id}`);
    },
    async putSession(record) {
      await kv.set(`checkout:${record.session_id}`, record);
    },
    async putToken(tokenHash, record, ttlMs) {
      await kv.set(`ptoken:${tokenHash}`, record, ttlMs);
    },
    async getToken(tokenHash) {
      return live(await kv.get<Token>(`ptoken:${tokenHash}`));
    },
    async consumeToken(tokenHash) {
      return live(await kv.take<Token>(`ptoken:${tokenHash}`));
    },
    async restoreToken(tokenHash, record) {
      const left = Date.parse(record.expires_at) - Date.now();
      if (!(left > 0)) return false;
      // add, not set: never overwrite a record that is somehow there again.
      await kv.add(`ptoken:${tokenHash}`, record, left);
      return true;
    },
    async putFlag(name, ttlMs) {
      await kv.set(`flag:${name}`, true, ttlMs);
    },
    async takeFlag(name) {
      return (await kv.take<boolean>(`flag:${name}`)) === true;
    },
    async hasFlag(name) {
      return (await kv.get<boolean>(`flag:${name}`)) === true;
    },
    credits: createCreditRepository(kv),
  };
}
