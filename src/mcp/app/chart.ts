/**
 * The MCP App of simulate / sweep / compare_runs: an interactive chart of the tool's result, drawn
 * as SVG in the host's sandboxed iframe. It runs in the browser, not in Node: tools/build-app.ts
 * bundles it (with the ext-apps App class) into one HTML file with a strict CSP (no outside
 * domain: everything is inline).
 *
 * Data: the inline series of structuredContent first (simulate), then more points by calling
 * get_result through the App bridge (every stored run of the result, as JSON columns).
 * Interaction: one panel per unit; a legend whose entries toggle series; drag across a panel to
 * zoom in time (double-click or "Reset" to zoom out); hover shows the values at that time; events
 * (state events of ME runs, an early stop) are dashed vertical lines.
 */
import { App } from '@modelcontextprotocol/ext-apps';

interface Series {
  key: string;
  label: string;
  unit: string;
  t: number[];
  y: (number | null)[];
}

interface Chart {
  series: Series[];
  events: number[];
  title: string;
}

type Json = Record<string, unknown>;

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const MAX_FETCHED_ROWS = 5000;
const MAX_RUNS = 10;

const state: { chart: Chart; hidden: Set<string>; range: [number, number] | undefined } = {
  chart: { series: [], events: [], title: '' },
  hidden: new Set(),
  range: undefined,
};

const root = document.getElementById('chart') as HTMLDivElement;
const statusLine = document.getElementById('status') as HTMLDivElement;

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(5))) : String(v);
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** simulate's inline series (time + one array per output), with units from its summary. */
function fromSimulate(sc: Json): Chart {
  const series = obj(sc.series);
  const summary = obj(sc.summary);
  const t = (series.time as number[] | undefined) ?? [];
  const out: Series[] = [];
  for (const [name, values] of Object.entries(series)) {
    if (name === 'time' || !Array.isArray(values)) continue;
    out.push({ key: name, label: name, unit: String(obj(summary[name]).unit ?? ''), t, y: values as (number | null)[] });
  }
  const events = ((sc.event_times as number[] | undefined) ?? []).slice(0, 500);
  const early = obj(sc.terminated_early).time;
  if (typeof early === 'number') events.push(early);
  const prov = obj(sc.provenance);
  return { series: out, events, title: `${String(prov.model_name ?? 'Result')} — run ${String(sc.run_id ?? '')}` };
}

/** The stored runs a result names (simulate: one; sweep / compare_runs: several). */
function runsOf(sc: Json): { runId: string; label: string }[] {
  if (typeof sc.run_id === 'string') return [{ runId: sc.run_id, label: '' }];
  const runs = Array.isArray(sc.runs) ? (sc.runs as Json[]) : [];
  return runs
    .filter((r) => typeof r.run_id === 'string')
    .slice(0, MAX_RUNS)
    .map((r) => {
      const sv = obj(r.start_values);
      const label = Object.entries(sv)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ');
      return { runId: r.run_id as string, label: label === '' ? (r.run_id as string).slice(0, 8) : label };
    });
}

/** Full-resolution columns of one run via get_result (JSON), decimated to at most MAX_FETCHED_ROWS. */
async function fetchRun(
  app: App,
  runId: string,
  label: string,
  variables: string[] | undefined,
  rows: number | undefined,
): Promise<Series[]> {
  const stride = rows === undefined ? 1 : Math.max(1, Math.ceil(rows / MAX_FETCHED_ROWS));
  const args: Json = { run_id: runId, format: 'json', max_rows: MAX_FETCHED_ROWS, stride };
  if (variables !== undefined && variables.length > 0) args.columns = variables;
  const res = (await app.callServerTool({ name: 'get_result', arguments: args })) as { structuredContent?: Json; isError?: boolean };
  const sc = obj(res.structuredContent);
  if (res.isError === true || sc.status !== 'ok') return [];
  const data = obj(sc.data);
  const t = (data.time as number[] | undefined) ?? [];
  const columns = Array.isArray(sc.columns) ? (sc.columns as Json[]) : [];
  return columns
    .filter((c) => c.type !== 'String' && Array.isArray(data[String(c.name)]))
    .map((c) => {
      const name = String(c.name);
      return {
        key: `${runId}|${name}`,
        label: label === '' ? name : `${name} (${label})`,
        unit: String(c.unit ?? ''),
        t,
        y: data[name] as (number | null)[],
      };
    });
}

async function loadResult(app: App, sc: Json): Promise<void> {
  state.range = undefined;
  state.hidden.clear();
  if (sc.series !== undefined) {
    state.chart = fromSimulate(sc);
    draw();
  } else {
    state.chart = { series: [], events: [], title: Array.isArray(sc.runs) ? `${(sc.runs as unknown[]).length} runs` : 'Result' };
  }
  const runs = runsOf(sc);
  if (runs.length === 0) {
    statusLine.textContent = sc.status === 'error' ? `Error: ${String(obj(sc.error).message ?? '')}` : 'Nothing to plot.';
    return;
  }
  statusLine.textContent = `Loading ${runs.length === 1 ? 'the full result' : `${runs.length} runs`}…`;
  const variables = Array.isArray(sc.variables) ? (sc.variables as string[]) : undefined;
  const rows = typeof sc.rows === 'number' ? sc.rows : undefined;
  try {
    const fetched = (await Promise.all(runs.map((r) => fetchRun(app, r.runId, r.label, variables, rows)))).flat();
    if (fetched.length > 0) {
      state.chart = { ...state.chart, series: fetched };
      draw();
    }
    statusLine.textContent = fetched.length > 0 ? '' : 'Showing the inline series.';
  } catch (e) {
    statusLine.textContent = `Showing the inline series (get_result failed: ${e instanceof Error ? e.message : String(e)}).`;
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
}

function draw(): void {
  root.replaceChildren();
  const { series, events, title } = state.chart;
  const heading = document.createElement('h1');
  heading.textContent = title;
  root.appendChild(heading);
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, i) => {
    const item = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !state.hidden.has(s.key);
    box.addEventListener('change', () => {
      if (box.checked) state.hidden.delete(s.key);
      else state.hidden.add(s.key);
      draw();
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = COLORS[i % COLORS.length] ?? '#000';
    item.append(box, swatch, document.createTextNode(`${s.label}${s.unit === '' ? '' : ` [${s.unit}]`}`));
    legend.appendChild(item);
  });
  const reset = document.createElement('button');
  reset.textContent = 'Reset zoom';
  reset.disabled = state.range === undefined;
  reset.addEventListener('click', () => {
    state.range = undefined;
    draw();
  });
  legend.appendChild(reset);
  root.appendChild(legend);

  const visible = series.map((s, i) => ({ s, color: COLORS[i % COLORS.length] ?? '#000' })).filter(({ s }) => !state.hidden.has(s.key));
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const { s } of visible) {
    if (s.t.length === 0) continue;
    t0 = Math.min(t0, s.t[0] ?? Infinity);
    t1 = Math.max(t1, s.t[s.t.length - 1] ?? -Infinity);
  }
  if (!(t1 > t0)) return;
  const [x0, x1] = state.range ?? [t0, t1];
  const units = [...new Set(visible.map(({ s }) => s.unit))];
  const width = Math.max(320, root.clientWidth || 640);
  const height = 180;
  const pad = { l: 56, r: 12, t: 10, b: 22 };
  for (const unit of units) {
    const members = visible.filter(({ s }) => s.unit === unit);
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const { s } of members)
      s.t.forEach((t, i) => {
        const y = s.y[i];
        if (t < x0 || t > x1 || typeof y !== 'number' || !Number.isFinite(y)) return;
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      });
    if (!(y1 >= y0)) continue;
    if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
    const sx = (t: number): number => pad.l + ((t - x0) / (x1 - x0)) * (width - pad.l - pad.r);
    const sy = (y: number): number => pad.t + (1 - (y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
    const svg = el('svg', { width, height, class: 'panel', 'data-unit': unit === '' ? '1' : unit });
    el('rect', { x: pad.l, y: pad.t, width: width - pad.l - pad.r, height: height - pad.t - pad.b, class: 'frame' }, svg);
    for (const [v, y] of [
      [y1, sy(y1)],
      [(y0 + y1) / 2, sy((y0 + y1) / 2)],
      [y0, sy(y0)],
    ] as const) {
      const label = el('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'tick' }, svg);
      label.textContent = fmt(v);
    }
    const unitLabel = el('text', { x: 4, y: pad.t + 10, class: 'unit' }, svg);
    unitLabel.textContent = unit === '' ? '(1)' : unit;
    for (const [v, x] of [
      [x0, sx(x0)],
      [x1, sx(x1)],
    ] as const) {
      const label = el('text', { x, y: height - 6, 'text-anchor': x === sx(x0) ? 'start' : 'end', class: 'tick' }, svg);
      label.textContent = `${fmt(v)} s`;
    }
    for (const e of events)
      if (e >= x0 && e <= x1) el('line', { x1: sx(e), x2: sx(e), y1: pad.t, y2: height - pad.b, class: 'event' }, svg);
    for (const { s, color } of members) {
      let d = '';
      let pen = false;
      s.t.forEach((t, i) => {
        const y = s.y[i];
        if (t < x0 || t > x1 || typeof y !== 'number' || !Number.isFinite(y)) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${sx(t).toFixed(1)},${sy(y).toFixed(1)}`;
        pen = true;
      });
      el('path', { d, stroke: color, fill: 'none', 'stroke-width': 1.5, 'data-series': s.label }, svg);
    }
    const cursor = el('line', { y1: pad.t, y2: height - pad.b, class: 'cursor', visibility: 'hidden' }, svg);
    const tip = el('text', { x: pad.l + 6, y: pad.t + 14, class: 'tip' }, svg);
    const band = el('rect', { y: pad.t, height: height - pad.t - pad.b, class: 'band', visibility: 'hidden' }, svg);
    const timeAt = (ev: MouseEvent): number => {
      const box = svg.getBoundingClientRect();
      return x0 + ((ev.clientX - box.left - pad.l) / (width - pad.l - pad.r)) * (x1 - x0);
    };
    let dragFrom: number | undefined;
    svg.addEventListener('mousemove', (ev) => {
      const t = Math.min(x1, Math.max(x0, timeAt(ev)));
      cursor.setAttribute('x1', String(sx(t)));
      cursor.setAttribute('x2', String(sx(t)));
      cursor.setAttribute('visibility', 'visible');
      tip.textContent = `t = ${fmt(t)} s  ${members.map(({ s }) => `${s.label} = ${valueAt(s, t)}`).join('  ')}`;
      if (dragFrom !== undefined) {
        band.setAttribute('x', String(Math.min(sx(dragFrom), sx(t))));
        band.setAttribute('width', String(Math.abs(sx(t) - sx(dragFrom))));
        band.setAttribute('visibility', 'visible');
      }
    });
    svg.addEventListener('mouseleave', () => {
      cursor.setAttribute('visibility', 'hidden');
      tip.textContent = '';
    });
    svg.addEventListener('mousedown', (ev) => (dragFrom = timeAt(ev)));
    svg.addEventListener('mouseup', (ev) => {
      const to = timeAt(ev);
      if (dragFrom !== undefined && Math.abs(sx(to) - sx(dragFrom)) > 4) {
        state.range = [Math.max(x0, Math.min(dragFrom, to)), Math.min(x1, Math.max(dragFrom, to))];
        dragFrom = undefined;
        draw();
        return;
      }
      dragFrom = undefined;
      band.setAttribute('visibility', 'hidden');
    });
    svg.addEventListener('dblclick', () => {
      state.range = undefined;
      draw();
    });
    root.appendChild(svg);
  }
}

/** The value of a series at time t (the nearest sample at or before t). */
function valueAt(s: Series, t: number): string {
  let lo = 0;
  let hi = s.t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((s.t[mid] ?? Infinity) <= t) lo = mid;
    else hi = mid - 1;
  }
  const y = s.y[lo];
  return typeof y === 'number' ? fmt(y) : '-';
}

const app = new App({ name: 'fmu-gateway-chart', version: '1.0.0' });
app.ontoolresult = (result) => {
  void loadResult(app, obj((result as { structuredContent?: unknown }).structuredContent));
};
window.addEventListener('resize', () => draw());
app.connect().catch((e: unknown) => {
  statusLine.textContent = `Not connected to a host: ${e instanceof Error ? e.message : String(e)}`;
});
