/**
 * Usage records: one per simulate request that reached the engine (or was refused for payment),
 * keyed by caller and time (`usage:<caller>:<stamp>-<random>`), so a caller's records are one
 * indexed range, newest first, whatever other callers hold. The caller's all-time totals are
 * counters the backend maintains with each insert (kv.ts COUNTER_RULES), read in one lookup.
 * Records older than the retention roll up into per-day totals (`usage_day:<caller>:<day>`).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UsageRecordSchema, type UsageRecord } from '../schemas/accounts.ts';
import { USAGE_STAMP_WIDTH, type KvStore } from './kv.ts';
import type { FoldOptions } from './usage-fold.ts';

export const UsageDaySchema = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  runs: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  duration_ms: z.number().nonnegative(),
});
export type UsageDay = z.infer<typeof UsageDaySchema>;

export interface UsageTotals {
  total_runs: number;
  total_rows: number;
  total_duration_ms: number;
}

export interface UsagePage {
  records: UsageRecord[];
  /** Cursor of the next (older) page; absent on the last one. */
  next_cursor?: string;
}

export interface UsageRepository {
  /** Appends a record; resolves once it is durable (an answered run always has its record). */
  record(r: UsageRecord): Promise<void>;
  /** The record as a [key, value] for KvStore.setMany (checked as record checks it); written by the caller. */
  entry(r: UsageRecord): [string, UsageRecord];
  /** The caller's records, newest first (at most `limit`, default 1000). */
  list(keyHash: string, opts?: { since?: Date; limit?: number }): Promise<UsageRecord[]>;
  /** One page of the caller's records, newest first, continuing from `cursor`. */
  page(keyHash: string, opts: { limit: number; cursor?: string; since?: Date }): Promise<UsagePage>;
  /** All-time totals of the caller (records rolled up included): counters, not a scan. */
  totals(keyHash: string): Promise<UsageTotals>;
  /** The caller's per-day totals of rolled-up records, oldest first. */
  days(keyHash: string): Promise<UsageDay[]>;
  /**
   * Folds records older than the cutoff into per-day totals and deletes them, `batch` at a time;
   * returns how many records were folded.
   */
  rollUp(cutoff: Date, batch?: number, opts?: FoldOptions): Promise<number>;
}

/** Fixed-width millisecond time so keys sort in time order. */
const stamp = (ms: number) => String(Math.max(0, ms)).padStart(USAGE_STAMP_WIDTH, '0');

export function createUsageRepository(kv: KvStore): UsageRepository {
  const prefix = (keyHash: string) => `usage:${keyHash}:`;
  const page = async (keyHash: string, opts: { limit: number; cursor?: string; since?: Date }): Promise<UsagePage> => {
    const p = await kv.page<unknown>(prefix(keyHash), {
      limit: opts.limit,
      reverse: true,
      ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
      ...(opts.since !== undefined ? { from: prefix(keyHash) + stamp(opts.since.getTime()) } : {}),
    });
    const records = p.items.map(([, v]) => UsageRecordSchema.parse(v));
    return p.next === undefined ? { records } : { records, next_cursor: p.next };
  };
  const entry = (r: UsageRecord): [string, UsageRecord] => {
    const rec = UsageRecordSchema.parse(r);
    return [`${prefix(rec.key_hash)}${stamp(Date.parse(rec.time))}-${randomBytes(4).toString('hex')}`, rec];
  };
  return {
    async record(r) {
      await kv.set(...entry(r));
    },
    entry,
    async list(keyHash, opts = {}) {
      return (await page(keyHash, { limit: opts.limit ?? 1000, ...(opts.since !== undefined ? { since: opts.since } : {}) })).records;
    },
    page,
    async totals(keyHash) {
      const [runs, rows, ms] = await Promise.all([
        kv.counter('usage_runs', keyHash),
        kv.counter('usage_rows', keyHash),
        kv.counter('usage_ms', keyHash),
      ]);
      return { total_runs: runs, total_rows: rows, total_duration_ms: ms };
    },
    async days(keyHash) {
      return (await kv.scan<unknown>(`usage_day:${keyHash}:`)).map(([, v]) => UsageDaySchema.parse(v));
    },
    async rollUp(cutoff, batch = 1000, opts) {
      // One sweeper at a time across gateways sharing the store, to spare duplicate work (the fold
      // of each batch is atomic on every backend, so even two would not count a record twice).
      const lock = 'lock:usage_rollup';
      if (!(await kv.add(lock, true, 10 * 60_000))) {
        // A lock left by a sweeper that died: expired, it reads as absent; drop it and try once more.
        if ((await kv.get(lock)) !== undefined) return 0;
        await kv.delete(lock);
        if (!(await kv.add(lock, true, 10 * 60_000))) return 0;
      }
      let folded = 0;
      try {
        for (;;) {
          const keys = await kv.usageBefore(cutoff.getTime(), batch);
          if (keys.length === 0) break;
          // Day totals and deletions in ONE atomic step per batch (kv.ts foldUsage): a crash
          // between them can no longer count a record twice (or lose it).
          const n = await kv.foldUsage(keys, opts);
          folded += n;
          // Nothing foldable left in this batch (values that are not records stay): stop, never spin.
          if (keys.length < batch || n === 0) break;
        }
      } finally {
        await kv.delete(lock);
      }
      return folded;
    },
  };
}
