/**
 * Choose at most `maxPoints` rows of a result for the inline series, so an agent sees the shape
 * of every signal: first and last rows always, each signal's global min and max, its min and max
 * in every bucket (min-max decimation, so peaks and valleys survive), event rows when room is
 * left, then evenly spaced rows to use the remaining budget. Deterministic: same input, same rows.
 */
import { eventRowsOf, statsOf } from './column-stats.ts';

export interface DownsampleInput {
  rows: number;
  /** Numeric columns to preserve extrema of (all the same length `rows`). */
  columns: readonly Float64Array[];
  /** Optional 1 = row recorded at an event (ME), kept when the budget allows. */
  eventRows?: Uint8Array;
}

/** y[i] is a local max (or min) against both neighbours; a NaN or missing neighbour does not count against it. */
function isTurningPoint(y: Float64Array, i: number, max: boolean): boolean {
  const v = y[i] as number;
  const prev = i > 0 ? (y[i - 1] as number) : Number.NaN;
  const next = i < y.length - 1 ? (y[i + 1] as number) : Number.NaN;
  return max ? !(v < prev) && !(v < next) : !(v > prev) && !(v > next);
}

/** First indices of the smallest and largest non-NaN values in y[lo..hi), -1 when all are NaN. */
function extremaIn(y: Float64Array, lo: number, hi: number): { iMin: number; iMax: number } {
  let iMin = -1;
  let iMax = -1;
  for (let i = lo; i < hi; i++) {
    const v = y[i] as number;
    if (Number.isNaN(v)) continue;
    if (iMin < 0 || v < (y[iMin] as number)) iMin = i;
    if (iMax < 0 || v > (y[iMax] as number)) iMax = i;
  }
  return { iMin, iMax };
}

/** Sorted row indices, at most maxPoints (≥ 2) of them; all rows when rows ≤ maxPoints. */
export function selectRows(input: DownsampleInput, maxPoints: number): Uint32Array {
  const { rows, columns, eventRows } = input;
  const budget = Math.max(2, Math.floor(maxPoints));
  if (rows <= budget) return Uint32Array.from({ length: rows }, (_, i) => i);

  const chosen = new Uint8Array(rows);
  // The chosen rows also as a list (at most budget), so nothing after scans all rows for them.
  const list = new Uint32Array(budget);
  let count = 0;
  const take = (i: number): void => {
    if (chosen[i] === 0 && count < budget) {
      chosen[i] = 1;
      list[count++] = i;
    }
  };
  take(0);
  take(rows - 1);
  // Global extrema first: the buckets below keep them too, but with more columns than the budget
  // has room for (2 rows per column per bucket) there are no buckets at all.
  for (const col of columns) {
    // The recorder's running figures when it recorded this column (column-stats.ts): no pass.
    const known = col.length === rows ? statsOf(col) : undefined;
    const { iMin, iMax } = known ?? extremaIn(col, 0, rows);
    if (iMin >= 0) take(iMin);
    if (iMax >= 0) take(iMax);
  }

  // Interior rows 1..rows-2 split into equal index buckets; each bucket may add 2 rows per column.
  const interior = rows - 2;
  const perBucket = 2 * columns.length;
  const buckets = perBucket === 0 ? 0 : Math.min(interior, Math.floor((budget - 2) / perBucket));
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * interior) / buckets);
    const hi = 1 + Math.floor(((b + 1) * interior) / buckets);
    for (const col of columns) {
      const { iMin, iMax } = extremaIn(col, lo, hi);
      // Keep a bucket extreme only when it is a turning point of the signal (a peak or valley
      // against its direct neighbours, across bucket edges). On a monotone stretch the bucket's
      // min and max are just its two ends: one midpoint there shows the shape with fewer rows.
      const keepMin = iMin >= 0 && isTurningPoint(col, iMin, false);
      const keepMax = iMax >= 0 && isTurningPoint(col, iMax, true);
      if (keepMin) take(iMin);
      if (keepMax) take(iMax);
      if (!keepMin && !keepMax) take((lo + hi - 1) >> 1);
    }
  }

  if (eventRows !== undefined) {
    const listed = eventRowsOf(eventRows);
    if (listed !== undefined) {
      for (let k = 0; k < listed.length && count < budget; k++) if ((listed[k] as number) < rows) take(listed[k] as number);
    } else for (let i = 0; i < rows && count < budget; i++) if (eventRows[i] === 1) take(i);
  }

  const picked = list.subarray(0, count).sort();
  if (count >= budget) return picked;
  return fillGaps(chosen, picked, budget - count);
}

/**
 * Spends `free` more rows on the gaps between the chosen rows `idx` (sorted), in proportion to each
 * gap's length (largest remainders first, ties to the earlier gap), evenly spaced inside each gap;
 * returns all the chosen rows, sorted. Needs first and last rows chosen and free ≤ number of
 * unchosen rows.
 */
function fillGaps(chosen: Uint8Array, idx: Uint32Array, free: number): Uint32Array {
  const ix = Array.from(idx);
  const gaps = ix.slice(1).map((b, j) => b - (ix[j] as number) - 1);
  const total = gaps.reduce((a, g) => a + g, 0);
  const alloc = gaps.map((g) => Math.floor((free * g) / total));
  let left = free - alloc.reduce((a, n) => a + n, 0);
  const byRemainder = gaps.map((g, j) => ({ j, r: (free * g) / total - (alloc[j] as number) })).sort((a, b) => b.r - a.r || a.j - b.j);
  for (const { j } of byRemainder) {
    if (left === 0) break;
    if ((alloc[j] as number) < (gaps[j] as number)) {
      alloc[j] = (alloc[j] as number) + 1;
      left--;
    }
  }
  const out = new Uint32Array(idx.length + free);
  let k = 0;
  alloc.forEach((n, j) => {
    const a = idx[j] as number;
    out[k++] = a;
    const len = (idx[j + 1] as number) - a;
    // Spacing len/(n+1) ≥ 1 (n ≤ len-1), so the rounded positions are distinct, inside the gap and ascending.
    for (let m = 1; m <= n; m++) {
      const i = a + Math.round((m * len) / (n + 1));
      chosen[i] = 1;
      out[k++] = i;
    }
  });
  out[k++] = idx[idx.length - 1] as number;
  return k === out.length ? out : out.subarray(0, k);
}

/** Values of `column` at `rows`, non-finite values as null (JSON has no NaN/Infinity). */
export function pick(column: Float64Array, rows: Uint32Array): (number | null)[] {
  const out = new Array<number | null>(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const v = column[rows[k] as number] as number;
    out[k] = Number.isFinite(v) ? v : null;
  }
  return out;
}
