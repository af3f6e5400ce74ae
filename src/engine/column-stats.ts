/**
 * What the recorder learns about each numeric column while the rows arrive (recorder.ts), so the
 * reductions after a run (summary.ts, downsample.ts, result-digest.ts) need no pass of their own
 * over a million rows. In a worker those passes run once per process, cold (interpreted until
 * V8's on-stack replacement catches up): ~10-25 ms each per million rows on a loaded machine,
 * several per column, as much as the stepping itself. Accumulated in the recorder's hot append
 * loop they cost a few ns per value.
 *
 * The figures are exactly those of the passes they replace (the same comparisons, the same sum,
 * term by term, in row order): summary.ts's onePass and downsample.ts's extremaIn over all rows.
 * They are attached to the column arrays a result hands out (a WeakMap, no field on the result:
 * nothing changes on the wire), and only when those arrays and the rows they cover are exactly
 * the recorded ones; anything else takes the passes as before.
 */

export interface ColumnStats {
  /** Rows covered: the column's length when attached. */
  rows: number;
  /** NaN and ±Inf samples. */
  bad: number;
  /** First index of the smallest / largest non-NaN value; -1 when every value is NaN. */
  iMin: number;
  iMax: number;
  /** onePass's min / max: over the non-NaN values (Infinity / -Infinity when there are none). */
  min: number;
  max: number;
  /** The trapezoid sum of 0.5 (y[i] + y[i-1]) (t[i] - t[i-1]), i = 1 … rows-1, in order. */
  integral: number;
  /** The time column the integral used. */
  time: Float64Array;
}

const byColumn = new WeakMap<Float64Array, ColumnStats>();
/** Rows marked as events (ME), ascending and each once, by the eventRows array they describe. */
const eventsByMarks = new WeakMap<Uint8Array, readonly number[]>();

export function attachStats(values: Float64Array, stats: ColumnStats): void {
  byColumn.set(values, stats);
}

/** The stats of `values` when they cover it exactly (and, for the integral, were taken over `time`). */
export function statsOf(values: Float64Array, time?: Float64Array): ColumnStats | undefined {
  const s = byColumn.get(values);
  if (s === undefined || s.rows !== values.length || (time !== undefined && s.time !== time)) return undefined;
  return s;
}

export function attachEventRows(marks: Uint8Array, rows: readonly number[]): void {
  eventsByMarks.set(marks, rows);
}

/** The marked rows of `marks` (ascending, each once), when the recorder listed them. */
export function eventRowsOf(marks: Uint8Array): readonly number[] | undefined {
  return eventsByMarks.get(marks);
}

/**
 * Running stats of `slots` columns, fed row by row in order. Plain typed arrays indexed by slot
 * so the append loop allocates nothing.
 */
export class StatsAccumulator {
  readonly bad: Float64Array;
  readonly iMin: Float64Array;
  readonly iMax: Float64Array;
  readonly vMin: Float64Array;
  readonly vMax: Float64Array;
  readonly sum: Float64Array;
  /** The previous row's value per slot (the trapezoid's left end). */
  readonly prev: Float64Array;

  constructor(slots: number) {
    this.bad = new Float64Array(slots);
    this.iMin = new Float64Array(slots).fill(-1);
    this.iMax = new Float64Array(slots).fill(-1);
    this.vMin = new Float64Array(slots);
    this.vMax = new Float64Array(slots);
    this.sum = new Float64Array(slots);
    this.prev = new Float64Array(slots);
  }

  /** Row `row` of slot `s` holds v; time[row] (and time[row-1]) are already recorded. */
  add(s: number, row: number, v: number, time: Float64Array): void {
    if (v === v) {
      if (this.iMin[s]! < 0 || v < this.vMin[s]!) {
        this.vMin[s] = v;
        this.iMin[s] = row;
      }
      if (this.iMax[s]! < 0 || v > this.vMax[s]!) {
        this.vMax[s] = v;
        this.iMax[s] = row;
      }
      if (v === Infinity || v === -Infinity) this.bad[s] = this.bad[s]! + 1;
    } else this.bad[s] = this.bad[s]! + 1;
    if (row > 0) this.sum[s] = this.sum[s]! + 0.5 * (v + this.prev[s]!) * (time[row]! - time[row - 1]!);
    this.prev[s] = v;
  }

  /** Rows first … first+count-1 of slot `s` are col[first …]. */
  addRun(s: number, col: Float64Array, first: number, count: number, time: Float64Array): void {
    this.copyRun(s, col, first, 1, col, first, count, time);
  }

  /**
   * Copies `count` values of slot `s` from src[from], src[from + stride], … into col[first …] and
   * takes them in: the recorder's append of a native chunk (row-major rows into its columns), one
   * loop for both so the values are read once.
   */
  copyRun(
    s: number,
    src: Float64Array,
    from: number,
    stride: number,
    col: Float64Array,
    first: number,
    count: number,
    time: Float64Array,
  ): void {
    let bad = this.bad[s]!;
    let iMin = this.iMin[s]!;
    let iMax = this.iMax[s]!;
    let vMin = this.vMin[s]!;
    let vMax = this.vMax[s]!;
    let sum = this.sum[s]!;
    let prev = this.prev[s]!;
    const end = first + count;
    for (let row = first, k = from; row < end; row++, k += stride) {
      const v = src[k]!;
      col[row] = v;
      if (v === v) {
        if (iMin < 0 || v < vMin) {
          vMin = v;
          iMin = row;
        }
        if (iMax < 0 || v > vMax) {
          vMax = v;
          iMax = row;
        }
        if (v === Infinity || v === -Infinity) bad++;
      } else bad++;
      if (row > 0) sum += 0.5 * (v + prev) * (time[row]! - time[row - 1]!);
      prev = v;
    }
    this.bad[s] = bad;
    this.iMin[s] = iMin;
    this.iMax[s] = iMax;
    this.vMin[s] = vMin;
    this.vMax[s] = vMax;
    this.sum[s] = sum;
    this.prev[s] = prev;
  }

  /** The stats of slot `s` over rows 0 … rows-1, for attachStats. */
  stats(s: number, rows: number, time: Float64Array): ColumnStats {
    const iMin = this.iMin[s]!;
    const iMax = this.iMax[s]!;
    return {
      rows,
      bad: this.bad[s]!,
      iMin,
      iMax,
      min: iMin < 0 ? Infinity : this.vMin[s]!,
      max: iMax < 0 ? -Infinity : this.vMax[s]!,
      integral: this.sum[s]!,
      time,
    };
  }
}
