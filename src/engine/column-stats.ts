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

/** Doubles per slot in an accumulator's block: the layout stepper.c's put_row shares. */
const WORDS = 7;
const BAD = 0;
const IMIN = 1;
const IMAX = 2;
const VMIN = 3;
const VMAX = 4;
const SUM = 5;
const PREV = 6;

/**
 * Running stats of `slots` columns, fed row by row in order: per slot the non-finite count, the
 * first rows of the minimum and maximum, the minimum, the maximum, the trapezoid sum and the
 * previous value, 7 doubles in one block. A native chunk loop (src/fmi/native/stepper.c put_row)
 * continues the same figures in native memory: adopt() moves the block there, and both sides then
 * feed it, each row once, in row order.
 */
export class StatsAccumulator {
  private a: Float64Array;

  constructor(private readonly slots: number) {
    this.a = new Float64Array(WORDS * slots);
    for (let s = 0; s < slots; s++) {
      this.a[WORDS * s + IMIN] = -1;
      this.a[WORDS * s + IMAX] = -1;
    }
  }

  /** Goes on in `block` (WORDS per slot, e.g. native memory a chunk loop writes): the figures so far are copied there. */
  adopt(block: Float64Array): void {
    if (block.length !== this.a.length) throw new RangeError(`stats block of ${block.length} doubles for ${this.slots} slots`);
    if (block !== this.a) {
      block.set(this.a);
      this.a = block;
    }
  }

  /** Row `row` of slot `s` holds v; time[row] (and time[row-1]) are already recorded. */
  add(s: number, row: number, v: number, time: Float64Array): void {
    const a = this.a;
    const o = WORDS * s;
    if (v === v) {
      if (a[o + IMIN]! < 0 || v < a[o + VMIN]!) {
        a[o + VMIN] = v;
        a[o + IMIN] = row;
      }
      if (a[o + IMAX]! < 0 || v > a[o + VMAX]!) {
        a[o + VMAX] = v;
        a[o + IMAX] = row;
      }
      if (v === Infinity || v === -Infinity) a[o + BAD] = a[o + BAD]! + 1;
    } else a[o + BAD] = a[o + BAD]! + 1;
    if (row > 0) a[o + SUM] = a[o + SUM]! + 0.5 * (v + a[o + PREV]!) * (time[row]! - time[row - 1]!);
    a[o + PREV] = v;
  }

  /** Rows first … first+count-1 of slot `s` are col[first …]. */
  addRun(s: number, col: Float64Array, first: number, count: number, time: Float64Array): void {
    for (let row = first; row < first + count; row++) this.add(s, row, col[row]!, time);
  }

  /** The stats of slot `s` over rows 0 … rows-1, for attachStats. */
  stats(s: number, rows: number, time: Float64Array): ColumnStats {
    const a = this.a;
    const o = WORDS * s;
    const iMin = a[o + IMIN]!;
    const iMax = a[o + IMAX]!;
    return {
      rows,
      bad: a[o + BAD]!,
      iMin,
      iMax,
      min: iMin < 0 ? Infinity : a[o + VMIN]!,
      max: iMax < 0 ? -Infinity : a[o + VMAX]!,
      integral: a[o + SUM]!,
      time,
    };
  }
}
