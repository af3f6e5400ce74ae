/**
 * Times as people write them. A row's time is computed as start + i·step in binary floating
 * point, so the shortest decimal that round-trips can carry noise (47 × 0.01 prints as
 * 0.47000000000000003). A time that lies on the output grid, within a few units in the last
 * place, is printed as the grid value rounded to the decimals of the start and the step ("0.47");
 * any other time (an event between grid points) keeps its shortest round-trip decimal.
 */

export interface TimeGrid {
  start: number;
  step: number;
}

/** Decimal places of a number's shortest representation ("0.25" → 2, "1e-7" → 7, "1.5e-7" → 8). */
export function decimalsOf(x: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(x)).split('e');
  const frac = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exponent));
}

/** A formatter of times on `grid` (see the file comment); without a grid, the shortest round-trip decimal. */
export function timeFormatter(grid: TimeGrid | undefined): (t: number) => string {
  if (grid === undefined || !(grid.step > 0) || !Number.isFinite(grid.start)) return (t) => String(t);
  const { start, step } = grid;
  const decimals = Math.max(decimalsOf(start), decimalsOf(step));
  if (decimals > 20) return (t) => String(t);
  const scale = Math.max(Math.abs(start), step);
  return (t) => {
    const s = '' + t;
    // Noise needs 16 or more significant digits; shorter decimals are already what was meant.
    if (s.length <= 15 || t - t !== 0) return s;
    const g = start + Math.round((t - start) / step) * step;
    const tol = 16 * Number.EPSILON * Math.max(Math.abs(t), scale);
    if (Math.abs(t - g) > tol) return s;
    const clean = Number(g.toFixed(decimals));
    return Math.abs(clean - t) <= tol ? String(clean) : s;
  };
}

/**
 * Grid times as bytes, without a string per row (the CSV writer's hot path): for t exactly
 * start + i·step (how the engines compute grid times), the text of timeFormatter is the
 * integer K = S + i·P (S, P: start and step scaled by 10^decimals) with the decimal point put
 * back and trailing zeros dropped — written digit by digit. Returns the new position, or −1
 * when t is not such a grid time (an event time, the stop time off the grid, a grid too fine
 * or too large for exact integers): the caller then writes timeFormatter's text.
 */
export function gridTimeWriter(grid: TimeGrid | undefined): ((t: number, out: Uint8Array, at: number) => number) | undefined {
  if (grid === undefined || !(grid.step > 0) || !Number.isFinite(grid.start)) return undefined;
  const { start, step } = grid;
  const decimals = Math.max(decimalsOf(start), decimalsOf(step));
  if (decimals > 15) return undefined;
  const scale = 10 ** decimals;
  const S = Math.round(start * scale);
  const P = Math.round(step * scale);
  // Only grids whose start and step are exactly these decimals (what timeFormatter rounds to).
  if (S / scale !== start || P / scale !== step || P <= 0 || !Number.isSafeInteger(S)) return undefined;
  // Above 15 significant digits the cleaned decimal may not be what String() prints; below 1e-6
  // String() switches to exponent notation.
  const LIMIT = 1e15;
  const digits = new Uint8Array(24);
  return (t, out, at) => {
    const i = Math.round((t - start) / step);
    if (start + i * step !== t) return -1;
    let k = S + i * P;
    const negative = k < 0;
    if (negative) k = -k;
    if (k >= LIMIT || (k !== 0 && k < 1e-6 * scale) || !Number.isSafeInteger(k)) return -1;
    // Digits of k, least significant first.
    let n = 0;
    do {
      const q = Math.floor(k / 10);
      digits[n++] = k - q * 10;
      k = q;
    } while (k > 0);
    // Drop trailing zeros of the fraction.
    let frac = decimals;
    let low = 0;
    while (frac > 0 && low < n && digits[low] === 0) {
      low++;
      frac--;
    }
    if (low === n) {
      out[at++] = 48; // "0"
      return at;
    }
    if (negative) out[at++] = 45; // "-"
    const intDigits = n - low - frac; // digits before the point (≤ 0: "0.00…")
    if (intDigits <= 0) {
      out[at++] = 48;
      out[at++] = 46;
      for (let z = intDigits; z < 0; z++) out[at++] = 48;
      for (let d = n - 1; d >= low; d--) out[at++] = 48 + digits[d]!;
      return at;
    }
    for (let d = n - 1; d >= low; d--) {
      out[at++] = 48 + digits[d]!;
      if (d - low === frac && frac > 0) out[at++] = 46;
    }
    return at;
  };
}
