/**
 * The one chart renderer of every face (CLI `run`, REST and MCP plots, sweeps, comparisons):
 * outputs against time in stacked panels sharing the time axis, built as SVG (ticks, unit labels,
 * legend, title) and rasterized with resvg into a small palette PNG (png.ts).
 *
 * Lines are drawn from per-pixel-column envelopes (envelope.ts): from the full result when the
 * caller hands one in (result-chart.ts reads it from the stored run), else from the sampled
 * values given. Discrete signals (integers, enumerations, discrete reals) are drawn as steps that
 * hold their value; Booleans as steps on a false/true axis.
 *
 * Readability rules: signals are grouped into one panel per unit (dimensionless ones say so);
 * inside a unit, a signal whose span would fill less than MIN_SHARE of the panel's range gets a
 * panel of its own, so nothing is flattened into a line by a signal 1000× larger; y-ranges are
 * the data's range plus a margin, not rounded out to zero; booleans are drawn as steps on a
 * false/true axis. `groupBy: 'variable'` (sweeps, comparisons) puts each variable in its own
 * panel with one line per run.
 */
import { createRequire } from 'node:module';
import type * as ResvgTypes from '@resvg/resvg-js';
import { envelopeOf, envelopeRange, type Envelope } from './envelope.ts';
import { encodeIndexedPng } from './png.ts';

type ResvgModule = typeof ResvgTypes;
let resvgModule: ResvgModule | undefined;
/** The native PNG renderer, loaded on the first PNG (it costs tens of ms at start-up: docs/architecture.md). */
const loadResvg = (): ResvgModule => (resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule);

export interface PlotSeries {
  name: string;
  unit?: string;
  /** Sampled values at `time` (or PlotInput.time); null breaks the line. Ignored when `envelope` is given. */
  values?: readonly (number | null)[];
  /** The full result reduced per pixel column (result-chart.ts); preferred over `values`. */
  envelope?: Envelope;
  /** Drawn as steps on a false/true axis. */
  boolean?: boolean;
  /** A discrete signal: held between changes (drawn as steps), not interpolated. */
  step?: boolean;
  /** Legend text (default: the name); with groupBy 'variable', e.g. the run's parameter values. */
  label?: string;
  /** Own time axis (overlays of runs with different grids); default PlotInput.time. */
  time?: readonly number[];
}

export interface PlotInput {
  title: string;
  /** Times of the series' sampled values (may be empty when every series has its own time or an envelope). */
  time: readonly number[];
  series: readonly PlotSeries[];
  /** Default 800 px; MCP_PLOT_SIZE for plots inside an agent's context. */
  width?: number;
  /** Default: grows with the number of panels. */
  height?: number;
  groupBy?: 'unit' | 'variable';
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const MAX_PANELS = 8;
const MAX_LEGEND = 10;
/** A signal must span at least this share of its panel's y-range, or it gets its own panel. */
export const MIN_SHARE = 0.05;
const MARGIN = 0.06;

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

/** Ticks strictly inside [lo, hi] (the axis is the data range plus a margin, not the ticks' span). */
function ticksWithin(lo: number, hi: number): number[] {
  const eps = 1e-12 * Math.abs(hi - lo);
  let ticks: number[] = [];
  // A coarse 1-2-5 step can leave one tick inside a margin-padded range: refine until there are 3.
  for (let target = 4; target <= 10 && ticks.length < 3; target += 2) {
    ticks = niceTicks(lo, hi, target).filter((t) => t >= lo - eps && t <= hi + eps);
  }
  return ticks;
}

/** A tick label with as many digits as the axis span needs to tell neighbouring ticks apart. */
function fmt(v: number, axisSpan = 0): string {
  const a = Math.abs(v);
  const digits = axisSpan > 0 && a > 0 ? Math.min(12, Math.max(2, Math.ceil(Math.log10(a / axisSpan)) + 2)) : 6;
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(Math.max(1, digits - 1));
  return String(Number(v.toPrecision(Math.max(digits, 1))));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** What the axis of a unit says: "" and "1" are dimensionless. */
export function unitLabel(unit: string | undefined): string {
  return unit === undefined || unit === '' || unit === '1' ? 'dimensionless' : unit;
}

interface Range {
  lo: number;
  hi: number;
}

function seriesRange(s: PlotSeries): Range | undefined {
  if (s.envelope !== undefined) return envelopeRange(s.envelope);
  return rangeOf(s.values ?? []);
}

function rangeOf(values: readonly (number | null)[]): Range | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? { lo, hi } : undefined;
}

const span = (r: Range): number => r.hi - r.lo;

interface Panel {
  key: string;
  label: string;
  boolean: boolean;
  series: { s: PlotSeries; color: string; range: Range | undefined }[];
  range: Range | undefined;
}

function union(a: Range | undefined, b: Range | undefined): Range | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

/** Would every signal of the panel still span MIN_SHARE of its range with `r` added? */
function fits(panel: Panel, r: Range | undefined): boolean {
  const u = union(panel.range, r);
  if (u === undefined || span(u) === 0) return true;
  const members = [...panel.series.map((m) => m.range), r];
  // A constant signal spans nothing anywhere; it only must not stretch the range much.
  return members.every((m) => m === undefined || span(m) === 0 || span(m) >= MIN_SHARE * span(u));
}

/** f in [0, 1] → a color from blue (0) to red (1), HSL with fixed saturation and lightness. */
function rampColor(f: number): string {
  const h = (240 * (1 - Math.min(1, Math.max(0, f)))) / 60;
  const c = 0.7 * (1 - Math.abs(2 * 0.42 - 1));
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : [x, 0, c];
  const m = 0.42 - c / 2;
  const hex = (v: number) =>
    Math.round((v + m) * 255)
      .toString(16)
      .padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** Series → panels (see the file comment). Returns the panels and how many series were left out. */
export function layoutPanels(input: PlotInput): { panels: Panel[]; dropped: number } {
  const panels: Panel[] = [];
  let dropped = 0;
  const colorOf = new Map<string, string>();
  // More runs than distinct colors (a sweep): a blue→red ramp in run order, so no two lines share one.
  const runs = input.groupBy === 'variable' ? [...new Set(input.series.map((s) => s.label ?? s.name))] : [];
  const ramp = runs.length > COLORS.length;
  const colorFor = (key: string): string => {
    let c = colorOf.get(key);
    if (c === undefined) {
      c = ramp ? rampColor(runs.indexOf(key) / (runs.length - 1)) : (COLORS[colorOf.size % COLORS.length] as string);
      colorOf.set(key, c);
    }
    return c;
  };
  // Larger spans first, so a small signal meets the panel it would be flattened in and moves on.
  const ordered = input.series
    .map((s, i) => ({ s, i, range: seriesRange(s) }))
    .sort((a, b) =>
      input.groupBy === 'variable' ? a.i - b.i : (b.range ? span(b.range) : 0) - (a.range ? span(a.range) : 0) || a.i - b.i,
    );
  for (const { s, range } of ordered) {
    const isBool = s.boolean === true;
    const key = input.groupBy === 'variable' ? `v:${s.name}` : isBool ? 'bool' : `u:${unitLabel(s.unit)}`;
    let panel = panels.find((p) => p.key === key && (isBool || input.groupBy === 'variable' || fits(p, range)));
    if (panel === undefined) {
      if (panels.length >= MAX_PANELS) {
        dropped++;
        continue;
      }
      const label = isBool ? 'false / true' : unitLabel(s.unit);
      panel = { key, label: input.groupBy === 'variable' ? `${s.name} (${label})` : label, boolean: isBool, series: [], range: undefined };
      panels.push(panel);
    }
    const color = input.groupBy === 'variable' ? colorFor(s.label ?? s.name) : colorFor(`s:${s.name}`);
    panel.series.push({ s, color, range });
    panel.range = union(panel.range, range);
  }
  // Keep the caller's order of first appearance for the panels (the sort above is for fitting only).
  const firstIndex = (p: Panel): number => Math.min(...p.series.map((m) => input.series.indexOf(m.s)));
  panels.sort((a, b) => firstIndex(a) - firstIndex(b));
  return { panels, dropped };
}

/**
 * Below this share of its magnitude a variation is numerical noise (a conserved energy, a value
 * round-tripped through float32): the axis is widened to it so noise is not drawn as a signal.
 */
export const MIN_RELATIVE_SPAN = 1e-6;

function yDomain(panel: Panel): Range {
  if (panel.boolean) return { lo: -0.15, hi: 1.15 };
  const r = panel.range ?? { lo: 0, hi: 1 };
  const magnitude = Math.max(Math.abs(r.lo), Math.abs(r.hi));
  if (span(r) > 0 && span(r) < MIN_RELATIVE_SPAN * magnitude) {
    const mid = (r.lo + r.hi) / 2;
    const half = (MIN_RELATIVE_SPAN * magnitude) / 2;
    return { lo: mid - half * (1 + 2 * MARGIN), hi: mid + half * (1 + 2 * MARGIN) };
  }
  if (span(r) === 0) {
    const pad = r.lo === 0 ? 1 : Math.abs(r.lo) * 0.05;
    return { lo: r.lo - pad, hi: r.hi + pad };
  }
  const pad = span(r) * MARGIN;
  return { lo: r.lo - pad, hi: r.hi + pad };
}

/** A compact chart for an agent's context: a palette PNG well under 25,000 characters of base64. */
export const MCP_PLOT_SIZE = { width: 640 } as const;
/**
 * Overlays (sweep, compare_runs) in an agent's context: many lines compress worse than one, so
 * fewer pixels keep the PNG within the 25,000 characters a tool result carries inline.
 */
export const MCP_OVERLAY_PLOT_SIZE = { width: 520, height: 340 } as const;

/** Margins around the panels (px): the plot area is [left, width − right] horizontally. */
export const CHART_MARGIN = { left: 96, right: 190, top: 40, bottom: 48, gap: 18 } as const;

/** Width in pixels of the plot area of a chart `width` wide: the number of envelope columns to compute. */
export function plotAreaWidth(width = 800): number {
  return Math.max(50, width - CHART_MARGIN.left - CHART_MARGIN.right);
}

/** The time span a chart shows: the ends of every series' time, sampled or enveloped. */
export function timeSpan(input: Pick<PlotInput, 'time' | 'series'>): { t0: number; t1: number } {
  const ends: number[] = [];
  const push = (t: readonly number[] | undefined): void => {
    if (t !== undefined && t.length > 0) ends.push(t[0] as number, t[t.length - 1] as number);
  };
  push(input.time);
  for (const s of input.series) {
    push(s.time);
    if (s.envelope !== undefined) ends.push(s.envelope.t0, s.envelope.t1);
  }
  const t0 = ends.length > 0 ? Math.min(...ends) : 0;
  const t1 = ends.length > 0 ? Math.max(...ends) : 1;
  return { t0, t1: t1 > t0 ? t1 : t0 + 1 };
}

/**
 * The path of one series: per pixel column its first, smallest, largest and last value
 * (a vertical stroke when they differ); steps hold the previous value up to the column.
 */
function envelopePath(e: Envelope, sx: (t: number) => number, sy: (v: number) => number, step: boolean): string {
  let d = '';
  let pen = false;
  let prevY = '';
  const w = (e.t1 - e.t0) / e.pixels;
  for (let c = 0; c < e.pixels; c++) {
    const f = e.first[c] as number;
    if (f !== f) continue;
    if (e.breakBefore[c] === 1) pen = false;
    const x = sx(e.t0 + (c + 0.5) * w).toFixed(1);
    const yf = sy(f).toFixed(1);
    const lo = sy(e.min[c] as number).toFixed(1);
    const hi = sy(e.max[c] as number).toFixed(1);
    const yl = sy(e.last[c] as number).toFixed(1);
    if (pen && step && prevY !== yf) d += `L${x} ${prevY}`;
    d += `${pen ? 'L' : 'M'}${x} ${yf}`;
    if (lo !== hi) d += `L${x} ${lo}L${x} ${hi}`;
    if (lo !== hi || yl !== yf) d += `L${x} ${yl}`;
    pen = true;
    prevY = yl;
  }
  return d;
}

/** The chart as an SVG document. Null values break the line (gaps), they are not drawn as 0. */
export function renderSvg(input: PlotInput): string {
  const { panels, dropped } = layoutPanels(input);
  const W = input.width ?? 800;
  const m = CHART_MARGIN;
  const panelH = panels.length <= 1 ? 360 : panels.length <= 3 ? 200 : 150;
  const H = input.height ?? m.top + m.bottom + panels.length * panelH + Math.max(0, panels.length - 1) * m.gap;
  const count = Math.max(1, panels.length);
  const ph = (H - m.top - m.bottom - (count - 1) * m.gap) / count;
  const pw = plotAreaWidth(W);
  const { t0: x0, t1: x1 } = timeSpan(input);
  const sx = (t: number) => m.left + ((t - x0) / (x1 - x0)) * pw;
  const xt = ticksWithin(x0, x1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="24" font-size="16" text-anchor="middle" font-weight="bold">${escapeXml(input.title)}</text>`);
  const legendSeen = new Set<string>();
  let legendRows = 0;

  panels.forEach((panel, k) => {
    const top = m.top + k * (ph + m.gap);
    const dom = yDomain(panel);
    const sy = (v: number) => top + ph - ((v - dom.lo) / (dom.hi - dom.lo)) * ph;
    const yt = panel.boolean ? [0, 1] : ticksWithin(dom.lo, dom.hi);
    for (const t of xt) {
      const x = sx(t).toFixed(1);
      out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#e5e5e5"/>`);
      if (k === panels.length - 1)
        out.push(`<text x="${x}" y="${top + ph + 18}" font-size="12" text-anchor="middle">${fmt(t, (x1 - x0) / 4)}</text>`);
    }
    for (const v of yt) {
      const y = sy(v).toFixed(1);
      const text = panel.boolean ? (v === 1 ? 'true' : 'false') : fmt(v, (dom.hi - dom.lo) / 4);
      out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${m.left - 6}" y="${y}" dy="4" font-size="12" text-anchor="end">${text}</text>`);
    }
    out.push(`<rect x="${m.left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
    out.push(
      `<text transform="translate(14 ${top + ph / 2}) rotate(-90)" font-size="12" text-anchor="middle">${escapeXml(panel.label)}</text>`,
    );
    for (const { s, color } of panel.series) {
      const env = s.envelope ?? envelopeOf(s.time ?? input.time, s.values ?? [], x0, x1, pw);
      const d = envelopePath(env, sx, sy, panel.boolean || s.step === true);
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round"/>`);
      const text = input.groupBy === 'variable' ? (s.label ?? s.name) : s.unit ? `${s.name} (${s.unit})` : s.name;
      const legendKey = input.groupBy === 'variable' ? text : `${panel.key}#${s.name}`;
      if (legendSeen.has(legendKey)) continue;
      legendSeen.add(legendKey);
      if (legendRows >= MAX_LEGEND) continue;
      const ly = m.top + 10 + legendRows * 20;
      const lx = m.left + pw + 14;
      out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
      out.push(`<text x="${lx + 28}" y="${ly + 4}" font-size="12">${escapeXml(text.length > 22 ? `${text.slice(0, 21)}…` : text)}</text>`);
      legendRows++;
    }
  });
  const hidden = legendSeen.size - legendRows + dropped;
  if (hidden > 0) {
    out.push(
      `<text x="${m.left + pw + 14}" y="${m.top + 14 + legendRows * 20}" font-size="11" fill="#666">+${hidden} more not shown</text>`,
    );
  }
  out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" font-size="13" text-anchor="middle">time (s)</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/**
 * PNG bytes of the chart: a palette image (at most 256 colors; the chart has a handful plus
 * their anti-aliased edges), a third of the size of a true-color PNG. System fonts are loaded so
 * labels render (DejaVu on Linux).
 */
export function renderPng(input: PlotInput): Buffer {
  const resvg = new (loadResvg().Resvg)(renderSvg(input), { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  const image = resvg.render();
  return encodeIndexedPng(image.width, image.height, image.pixels);
}
