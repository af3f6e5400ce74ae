/**
 * Usage records: one per simulate request that reached the engine (or was refused for payment),
 * keyed by caller and time so a caller's records are one prefix scan, in time order.
 */
import { randomBytes } from 'node:crypto';
import { UsageRecordSchema, type UsageRecord } from '../schemas/accounts.ts';
import type { KvStore } from './kv.ts';

export interface UsageRepository {
  /** Appends a record; resolves once it is durable (an answered run always has its record). */
  record(r: UsageRecord): Promise<void>;
  /** The caller's records, newest first. */
  list(keyHash: string, opts?: { since?: Date; limit?: number }): Promise<UsageRecord[]>;
  /** Deletes records older than the cutoff; returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/** Fixed-width millisecond time so keys sort in time order. */
const stamp = (iso: string) => String(Date.parse(iso)).padStart(15, '0');

export function createUsageRepository(kv: KvStore): UsageRepository {
  return {
    async record(r) {
      const rec = UsageRecordSchema.parse(r);
      await kv.set(`usage:${rec.key_hash}:${stamp(rec.time)}-${randomBytes(4).toString('hex')}`, rec);
    },
    async list(keyHash, opts = {}) {
      const rows = await kv.scan<unknown>(`usage:${keyHash}:`);
      const since = opts.since?.getTime();
      const out: UsageRecord[] = [];
      for (let i = rows.length - 1; i >= 0; i--) {
        const rec = UsageRecordSchema.parse((rows[i] as [string, unknown])[1]);
        if (since !== undefined && Date.parse(rec.time) < since) break;
        out.push(rec);
        if (opts.limit !== undefined && out.length >= opts.limit) break;
      }
      return out;
    },
    async deleteOlderThan(cutoff) {
      const rows = await kv.scan<UsageRecord>('usage:');
      const old = rows.filter(([, r]) => Date.parse(r.time) < cutoff.getTime()).map(([k]) => k);
      await kv.deleteMany(old);
      return old.length;
    },
  };
}
