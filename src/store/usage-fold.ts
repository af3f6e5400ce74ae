/**
 * The usage roll-up's arithmetic, shared by the three backends' atomic fold (kv-sqlite,
 * kv-postgres, kv-redis `foldUsage`): usage records (raw stored values) summed into per-day totals
 * per caller, and a day row's new stored value from its previous one. Pure and synchronous: the
 * SQLite fold runs inside one synchronous transaction, where no await may let another request's
 * statement in.
 *
 * Stored values are keyv envelopes ({ value, expires }) in keyv's serialization, which for these
 * shapes (numbers and strings that do not start with ':') is exactly JSON.
 */
import { KEY_PREFIX, type RawValue } from './kv.ts';

export interface DayTotals {
  day: string;
  runs: number;
  failed: number;
  rows: number;
  duration_ms: number;
}

/**
 * Where a fold may be interrupted on purpose (tests): after the day rows were written and before
 * the records were deleted (the crash that used to count a day twice), and after the commit.
 */
export type FoldPoint = 'days-written' | 'committed';

export interface FoldOptions {
  /** Fault injection for tests: called at each point (a test kills its process there). */
  at?: (point: FoldPoint) => void;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Sums usage records into day totals, keyed by the full key of their day row
 * (`usage_day:<caller>:<day>`); `folded`: the keys summed, the only ones the fold may delete (a
 * value that is not a usage record is left in place, never deleted uncounted).
 */
export function sumUsageRecords(records: Iterable<[string, RawValue]>): { days: Map<string, DayTotals>; folded: string[] } {
  const days = new Map<string, DayTotals>();
  const folded: string[] = [];
  for (const [key, raw] of records) {
    let rec: Record<string, unknown>;
    try {
      const env = JSON.parse(raw) as { value?: unknown };
      if (typeof env?.value !== 'object' || env.value === null) continue;
      rec = env.value as Record<string, unknown>;
    } catch {
      continue;
    }
    const caller = rec['key_hash'];
    const time = rec['time'];
    if (typeof caller !== 'string' || typeof time !== 'string') continue;
    const day = time.slice(0, 10);
    const id = `${KEY_PREFIX}usage_day:${caller}:${day}`;
    const d = days.get(id) ?? { day, runs: 0, failed: 0, rows: 0, duration_ms: 0 };
    d.runs++;
    if (rec['status'] !== 'completed') d.failed++;
    d.rows += num(rec['rows']);
    d.duration_ms += num(rec['duration_ms']);
    days.set(id, d);
    folded.push(key);
  }
  return { days, folded };
}

/** The stored value of a day row: `add` on top of what `previous` held (absent: `add` alone). */
export function mergedDayValue(previous: RawValue | undefined, add: DayTotals): RawValue {
  let p: Partial<DayTotals> = {};
  if (previous !== undefined) {
    try {
      p = ((JSON.parse(previous) as { value?: Partial<DayTotals> }).value ?? {}) as Partial<DayTotals>;
    } catch {
      p = {};
    }
  }
  const value: DayTotals = {
    day: add.day,
    runs: num(p.runs) + add.runs,
    failed: num(p.failed) + add.failed,
    rows: num(p.rows) + add.rows,
    duration_ms: num(p.duration_ms) + add.duration_ms,
  };
  return JSON.stringify({ value });
}
