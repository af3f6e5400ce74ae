/**
 * What a chart needs of a full result: per pixel column of the time axis, the first, smallest,
 * largest and last value of the rows that fall in it (the "M4" reduction). Drawn as a line
 * through first → min → max → last in each column, it is the exact picture of every row at that
 * resolution: a spike of one row, a jump at an event (two rows at one time) and a step of a
 * discrete signal stay where they are, and nothing is interpolated across a jump, which a
 * downsampled series (a few hundred points joined by straight lines) cannot promise.
 *
 * Built in one pass over rows in any number of blocks; allocates per chart, not per row.
 */

export interface Envelope {
  /** The time span the columns divide evenly: column c covers [t0 + c·w, t0 + (c+1)·w), w = (t1 − t0) / pixels. */
  t0: number;
  t1: number;
  pixels: number;
  /** NaN where no finite value fell in the column. */
  first: Float64Array;
  min: Float64Array;
  max: Float64Array;
  last: Float64Array;
  /** 1 where a non-finite value (a gap) came between the previous column's values and this one's. */
  breakBefore: Uint8Array;
  /** Number of finite values seen. */
  count: number;
}

export class EnvelopeBuilder {
  private readonly env: Envelope;
  private readonly scale: number;
  private gap = false;

  constructor(t0: number, t1: number, pixels: number) {
    const n = Math.max(1, Math.floor(pixels));
    const nan = () => new Float64Array(n).fill(NaN);
    this.env = { t0, t1, pixels: n, first: nan(), min: nan(), max: nan(), last: nan(), breakBefore: new Uint8Array(n), count: 0 };
    this.scale = t1 > t0 ? n / (t1 - t0) : 0;
  }

  /** Adds rows: their times and values (numbers, 64-bit integers, Booleans as 0/1; null or NaN is a gap). */
  add(time: ArrayLike<number>, values: ArrayLike<number | bigint | null>): void {
    const e = this.env;
    const last = e.pixels - 1;
    for (let r = 0; r < time.length; r++) {
      const raw = values[r];
      const v = typeof raw === 'bigint' ? Number(raw) : raw;
      if (v === null || v === undefined || v - v !== 0) {
        this.gap = true;
        continue;
      }
      let c = Math.floor(((time[r] as number) - e.t0) * this.scale);
      if (c < 0) c = 0;
      else if (c > last) c = last;
      if (e.first[c] !== e.first[c]) {
        e.first[c] = v;
        e.min[c] = v;
        e.max[c] = v;
        if (this.gap && e.count > 0) e.breakBefore[c] = 1;
      } else {
        if (v < (e.min[c] as number)) e.min[c] = v;
        if (v > (e.max[c] as number)) e.max[c] = v;
      }
      e.last[c] = v;
      e.count++;
      this.gap = false;
    }
  }

  result(): Envelope {
    return this.env;
  }
}

/** The envelope of sampled values (arrays of equal length). */
export function envelopeOf(
  time: ArrayLike<number>,
  values: ArrayLike<number | bigint | null>,
  t0: number,
  t1: number,
  pixels: number,
): Envelope {
  const b = new EnvelopeBuilder(t0, t1, pixels);
  b.add(time, values);
  return b.result();
}

/** The smallest and largest finite value of an envelope. */
export function envelopeRange(e: Envelope): { lo: number; hi: number } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < e.pixels; c++) {
    const a = e.min[c] as number;
    const b = e.max[c] as number;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return Number.isFinite(lo) ? { lo, hi } : undefined;
}
