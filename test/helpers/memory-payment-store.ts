/**
 * PaymentStore in memory, for the payments unit tests that are about payment logic rather than
 * persistence (the store contract on SQLite / PostgreSQL / Redis is tested with the real store).
 * Every operation is async and yields, so concurrent callers interleave as they would on a backend.
 */
import type { CheckoutSessionRecord, PaymentStore, PaymentTokenRecord } from '../../src/payments/port.ts';

export function createMemoryPaymentStore(): PaymentStore & { size(): number } {
  const sessions = new Map<string, string>();
  const tokens = new Map<string, { v: string; until: number }>();
  const flags = new Map<string, number>();
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  return {
    async getSession(id) {
      await tick();
      const v = sessions.get(id);
      return v === undefined ? undefined : (JSON.parse(v) as CheckoutSessionRecord);
    },
    async putSession(r) {
      await tick();
      sessions.set(r.session_id, JSON.stringify(r));
    },
    async putToken(hash, r, ttl) {
      await tick();
      tokens.set(hash, { v: JSON.stringify(r), until: Date.now() + ttl });
    },
    async consumeToken(hash) {
      await tick();
      const e = tokens.get(hash);
      tokens.delete(hash);
      return e === undefined || e.until < Date.now() ? undefined : (JSON.parse(e.v) as PaymentTokenRecord);
    },
    async putFlag(name, ttl) {
      await tick();
      flags.set(name, Date.now() + ttl);
    },
    async takeFlag(name) {
      await tick();
      const until = flags.get(name);
      flags.delete(name);
      return until !== undefined && until >= Date.now();
    },
    async hasFlag(name) {
      await tick();
      const until = flags.get(name);
      return until !== undefined && until >= Date.now();
    },
    size: () => sessions.size + tokens.size + flags.size,
  };
}
