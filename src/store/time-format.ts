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
