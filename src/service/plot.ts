/**
 * A line chart of outputs against time: built as SVG (axes with ticks, unit labels, legend,
 * title), rasterized to PNG with resvg. Kept dependency-light on purpose: the SVG is plain text.
 */
import { Resvg } from '@resvg/resvg-js';

export interface PlotSeries {
  name: string;
  unit?: string;
  values: readonly (number | null)[];
}

export interface PlotInput {
  title: string;
  time: readonly number[];
  series: readonly PlotSeries[];
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MAX_LEGEND = 8;

/** "Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi] with about `target` intervals. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, lo + pad, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9 + step; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
    if (v >= hi) break;
  }
  return ticks;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** The chart as an SVG document. Null values break the line (gaps), they are not drawn as 0. */
export function renderSvg(input: PlotInput): string {
  const W = input.width ?? 800;
  const H = input.height ?? 450;
  const m = { left: 72, right: 170, top: 40, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const series = input.series.slice(0, MAX_LEGEND);

  let yLo = Infinity;
  let yHi = -Infinity;
  for (const s of series)
    for (const v of s.values)
      if (v !== null) {
        yLo = Math.min(yLo, v);
        yHi = Math.max(yHi, v);
      }
  if (!Number.isFinite(yLo)) {
    yLo = 0;
    yHi = 1;
  }
  const tLo = input.time[0] ?? 0;
  const tHi = input.time[input.time.length - 1] ?? 1;
  const xt = niceTicks(tLo, tHi);
  const yt = niceTicks(yLo, yHi);
  const x0 = xt[0] as number,
    x1 = xt[xt.length - 1] as number;
  const y0 = yt[0] as number,
    y1 = yt[yt.length - 1] as number;
  const sx = (t: number) => m.left + ((t - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="24" font-size="16" text-anchor="middle" font-weight="bold">${escapeXml(input.title)}</text>`);
  for (const t of xt) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" font-size="12" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const v of yt) {
    const y = sy(v).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" dy="4" font-size="12" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" font-size="13" text-anchor="middle">time (s)</text>`);
  const units = [...new Set(series.map((s) => s.unit).filter((u): u is string => u !== undefined && u !== ''))];
  const yLabel = units.length > 0 ? `value (${units.join(', ')})` : 'value';
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle">${escapeXml(yLabel)}</text>`);

  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length] as string;
    let d = '';
    let pen = false;
    for (let i = 0; i < input.time.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(input.time[i] as number).toFixed(1)} ${sy(v).toFixed(1)}`;
      pen = true;
    }
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round"/>`);
    const ly = m.top + 10 + k * 20;
    const lx = m.left + pw + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    const label = s.unit ? `${s.name} (${s.unit})` : s.name;
    out.push(`<text x="${lx + 28}" y="${ly + 4}" font-size="12">${escapeXml(label.length > 20 ? `${label.slice(0, 19)}…` : label)}</text>`);
  });
  if (input.series.length > MAX_LEGEND) {
    out.push(
      `<text x="${m.left + pw + 14}" y="${m.top + 14 + MAX_LEGEND * 20}" font-size="11" fill="#666">+${input.series.length - MAX_LEGEND} more not shown</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** PNG bytes of the chart. System fonts are loaded so labels render (DejaVu on Linux). */
export function renderPng(input: PlotInput): Buffer {
  const resvg = new Resvg(renderSvg(input), { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return resvg.render().asPng();
}
