/**
 * The report writer: a stored run or sweep → report.json (the Report object), report.md (the
 * brief, markdown.ts) and report.png (the one chart renderer, result-chart.ts, drawn from every
 * stored row). Every figure is computed here from the full-resolution result files, never from a
 * run's downsampled series; the Markdown only formats what the JSON holds.
 */
import { GatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { REPORT_KPIS, type LimitResult, type Report, type ReportLimit, type ReportOptions, type ReportRun } from '../schemas/report.ts';
import type { ResultFile } from '../store/result-file-reader.ts';
import { ENGINE_VERSION } from '../version.ts';
import { formatNumber, kpiUnit, paramText } from './format.ts';
import { reportKpis } from './kpis.ts';
import { renderMarkdown } from './markdown.ts';
import { plotStoredOverlay, plotStoredRun, type StoredRuns } from './result-chart.ts';

/** Outputs reported when the request names none (limited ones come first). */
export const DEFAULT_VARIABLES = 6;
/** Runs drawn in a sweep's chart: beyond this the overlay is a blur; the tables have every run. */
export const MAX_CHART_RUNS = 40;

type ParamValue = number | boolean | string;

/** One run of the subject: a stored run (run_id) or a sweep run that failed before storing. */
export interface SubjectRun {
  index: number;
  run_id?: string;
  status: 'completed' | 'failed';
  parameters: Record<string, ParamValue>;
  error?: { code: string; message: string };
}

export interface ReportSubject {
  kind: 'run' | 'sweep';
  id: string;
  /** The swept parameter names (empty for a run). */
  swept: readonly string[];
  runs: readonly SubjectRun[];
}

export interface ReportSources {
  results: StoredRuns;
  /** The model's description when its FMU is still here: units and descriptions of parameters and inputs. */
  modelDescription?: ModelDescription;
  /** Clock (tests). */
  now?: () => Date;
}

export interface ReportRenderOptions {
  /** Chart size (default 800 px wide); MCP passes its smaller in-context sizes (report/chart.ts). */
  chartSize?: { width?: number; height?: number };
  /** Rows of the sweep's results table in report.md (default: every run); report.json has every run. */
  maxTableRows?: number;
}

export interface WrittenReport {
  report: Report;
  markdown: string;
  png: Buffer;
}

interface MetaColumn {
  name: string;
  unit?: string;
  description?: string;
  causality?: string;
  type?: string;
}

interface RunMeta {
  rows?: number;
  provenance: {
    fmu_id: string;
    fmu_sha256: string;
    model_name: string;
    engine_version: string;
    fmi_version: string;
    interface: string;
    solver: string | null;
    tolerance: number | null;
    start_time: number;
    stop_time: number;
    step: number;
    start_values: Record<string, unknown>;
    input_signals: { name: string; samples: number; t_first: number; t_last: number; interpolation: string }[];
    started_at: string;
  };
  columns?: MetaColumn[];
}

const NUMERIC = new Set([
  'Float32',
  'Float64',
  'Real',
  'Int8',
  'UInt8',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Integer',
  'Enumeration',
]);

function metaOf(results: StoredRuns, runId: string): RunMeta {
  const meta = results.readMeta(runId) as unknown as RunMeta;
  if (typeof meta.provenance?.model_name !== 'string') {
    throw new GatewayError('RESULT_CORRUPT', `Run "${runId}" has no provenance to report`, { run_id: runId });
  }
  return meta;
}

/** The numeric recorded columns of a run (not time), in record order. */
function numericColumns(meta: RunMeta): MetaColumn[] {
  return (meta.columns ?? []).filter((c) => c.name !== 'time' && (c.type === undefined || NUMERIC.has(c.type)));
}

function chooseVariables(meta: RunMeta, options: ReportOptions): MetaColumn[] {
  const columns = numericColumns(meta);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const wanted = [...(options.limits ?? []).map((l) => l.variable), ...(options.variables ?? [])];
  for (const name of wanted) {
    if (!byName.has(name)) {
      throw new GatewayError('UNKNOWN_VARIABLE', `"${name}" is not a numeric output recorded by this run`, {
        variable: name,
        valid_names: columns.map((c) => c.name).slice(0, 200),
        hint: 'Report variables the run recorded (its outputs); simulate with outputs [...] to record others.',
      });
    }
  }
  const chosen: string[] = [];
  const add = (n: string): void => {
    if (!chosen.includes(n)) chosen.push(n);
  };
  (options.limits ?? []).forEach((l) => add(l.variable));
  if (options.variables !== undefined) options.variables.forEach(add);
  else {
    // Outputs before other recorded variables (locals, parameters asked for in outputs).
    const ordered = [...columns.filter((c) => c.causality === 'output' || c.causality === undefined), ...columns];
    for (const c of ordered) if (chosen.length < DEFAULT_VARIABLES) add(c.name);
  }
  return chosen.map((n) => byName.get(n) as MetaColumn);
}

/** Full-resolution figures of `variables` for one stored run. */
async function runKpis(
  results: StoredRuns,
  runId: string,
  variables: readonly string[],
): Promise<Record<string, Record<string, number | null>>> {
  const file: ResultFile = await results.open(runId);
  try {
    const time = await file.readTime();
    const out: Record<string, Record<string, number | null>> = {};
    for (const name of variables) {
      const index = file.columns.findIndex((c) => c.name === name);
      const raw = index < 0 ? undefined : await file.readColumn(index);
      if (raw === undefined || Array.isArray(raw)) {
        out[name] = Object.fromEntries(REPORT_KPIS.map((k) => [k, null]));
        continue;
      }
      const y = raw instanceof Float64Array ? raw : Float64Array.from(raw as ArrayLike<number | bigint>, (v) => Number(v));
      out[name] = reportKpis(REPORT_KPIS, time, y);
    }
    return out;
  } finally {
    await file.close();
  }
}

function checkLimit(limit: ReportLimit, value: number | null): boolean {
  if (value === null) return false;
  return (limit.min === undefined || value >= limit.min) && (limit.max === undefined || value <= limit.max);
}

/** How close a value is to failing: the smallest distance to a bound, negative past it. */
function margin(limit: ReportLimit, value: number): number {
  const lo = limit.min === undefined ? Infinity : value - limit.min;
  const hi = limit.max === undefined ? Infinity : limit.max - value;
  return Math.min(lo, hi);
}

function evaluateLimits(limits: readonly ReportLimit[], runs: readonly ReportRun[], units: Map<string, string | undefined>): LimitResult[] {
  const stored = runs.filter((r) => r.status === 'completed');
  return limits.map((limit) => {
    const checks = stored.map((r) => {
      const value = r.kpis[limit.variable]?.[limit.kpi] ?? null;
      return { run_id: r.run_id, value, pass: checkLimit(limit, value) };
    });
    let worst: (typeof checks)[number] | undefined;
    for (const c of checks) {
      if (c.value === null) {
        worst = c;
        break;
      }
      if (worst === undefined || margin(limit, c.value) < margin(limit, worst.value as number)) worst = c;
    }
    const unit = kpiUnit(limit.kpi, units.get(limit.variable));
    return {
      variable: limit.variable,
      kpi: limit.kpi,
      ...(unit !== undefined ? { unit } : {}),
      ...(limit.min !== undefined ? { min: limit.min } : {}),
      ...(limit.max !== undefined ? { max: limit.max } : {}),
      pass: checks.length > 0 && checks.every((c) => c.pass),
      worst: worst?.value ?? null,
      worst_run_id: worst?.run_id ?? null,
      failing_runs: checks.filter((c) => !c.pass).map((c) => c.run_id),
      checks,
    };
  });
}

function uniqueValues(values: readonly ParamValue[]): ParamValue[] {
  const out: ParamValue[] = [];
  for (const v of values) if (!out.some((o) => o === v)) out.push(v);
  return out;
}

/** Parameters beyond these many model defaults are left out of the table (report.json keeps the count small too). */
const MAX_DEFAULT_PARAMETERS = 40;

function describeParameters(
  subject: ReportSubject,
  first: RunMeta,
  md: ModelDescription | undefined,
  columns: MetaColumn[],
): Report['parameters'] {
  const info = (name: string): { unit?: string; description?: string } => {
    const v = md?.variables.find((x) => x.name === name);
    const c = columns.find((x) => x.name === name);
    const unit = v?.unit ?? c?.unit;
    const description = v?.description ?? c?.description;
    return { ...(unit !== undefined ? { unit } : {}), ...(description !== undefined ? { description } : {}) };
  };
  const scalar = (value: unknown): ParamValue =>
    typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? value : JSON.stringify(value);
  const swept = subject.swept.map((name) => ({
    name,
    ...info(name),
    values: uniqueValues(subject.runs.map((r) => r.parameters[name]).filter((v): v is ParamValue => v !== undefined)),
    source: 'swept' as const,
  }));
  const setValues = first.provenance.start_values ?? {};
  const set = Object.entries(setValues)
    .filter(([name]) => !subject.swept.includes(name))
    .map(([name, value]) => ({ name, ...info(name), values: [scalar(value)], source: 'set' as const }));
  // The model's own parameters at their defaults: what the brief's reader needs to reproduce it.
  const defaults = (md?.variables ?? [])
    .filter((v) => v.causality === 'parameter' && !subject.swept.includes(v.name) && !(v.name in setValues) && v.start !== undefined)
    .slice(0, MAX_DEFAULT_PARAMETERS)
    .map((v) => ({ name: v.name, ...info(v.name), values: [scalar(v.start)], source: 'default' as const }));
  return [...swept, ...set, ...defaults];
}

function findings(report: Omit<Report, 'findings'>): string[] {
  const out: string[] = [];
  const units = new Map(report.variables.map((v) => [v.name, v.unit]));
  const paramUnits = new Map(report.parameters.map((p) => [p.name, p.unit]));
  const runById = new Map(report.runs.map((r) => [r.run_id, r]));
  const where = (runId: string | null): string => {
    const run = runId === null ? undefined : runById.get(runId);
    if (run === undefined) return '';
    const params = Object.entries(run.parameters).map(([k, v]) => paramText(k, v, paramUnits.get(k)));
    return report.kind === 'sweep' ? ` (run #${run.index}${params.length > 0 ? `, ${params.join(', ')}` : ''})` : '';
  };
  for (const l of report.limits) {
    const bound = [l.min !== undefined ? `≥ ${formatNumber(l.min)}` : '', l.max !== undefined ? `≤ ${formatNumber(l.max)}` : '']
      .filter((s) => s !== '')
      .join(' and ');
    const unit = l.unit === undefined || l.unit === '1' ? '' : ` ${l.unit}`;
    const head = `${l.pass ? 'PASS' : 'FAIL'}: ${l.variable} ${l.kpi} ${bound}${unit}`;
    if (l.pass) {
      out.push(
        `${head}: met by ${report.kind === 'sweep' ? `all ${l.checks.length} runs` : 'the run'}; closest ${formatNumber(l.worst)}${unit}${where(l.worst_run_id)}.`,
      );
      continue;
    }
    const failing = l.failing_runs.length;
    let text = `${head}: ${report.kind === 'sweep' ? `missed by ${failing} of ${l.checks.length} runs` : 'missed'}; worst ${formatNumber(l.worst)}${unit}${where(l.worst_run_id)}.`;
    // One swept number: where along it the limit stops being met (the study's usual question).
    const [only] = report.parameters.filter((p) => p.source === 'swept');
    if (report.kind === 'sweep' && only !== undefined && report.parameters.filter((p) => p.source === 'swept').length === 1) {
      const sorted = [...l.checks]
        .map((c) => ({ c, v: runById.get(c.run_id)?.parameters[only.name] }))
        .filter((x): x is { c: (typeof l.checks)[number]; v: number } => typeof x.v === 'number')
        .sort((a, b) => a.v - b.v);
      const passing = sorted.filter((x) => x.c.pass).map((x) => x.v);
      const failingValues = sorted.filter((x) => !x.c.pass).map((x) => x.v);
      if (passing.length > 0 && failingValues.length > 0) {
        text += ` Met for ${only.name} in ${formatNumber(Math.min(...passing))} … ${formatNumber(Math.max(...passing))}${only.unit === undefined || only.unit === '1' ? '' : ` ${only.unit}`}; missed at ${failingValues.map(formatNumber).join(', ')}.`;
      }
    }
    out.push(text);
  }
  for (const r of report.runs.filter((x) => x.status === 'failed')) {
    out.push(`Run #${r.index} did not complete: ${r.error?.code ?? 'FAILED'} ${r.error?.message ?? ''}`.trim());
  }
  if (report.limits.length === 0) {
    out.push('No limits were given: the figures are for information, nothing was judged.');
    // The extremes across runs of each reported output's max, for a first reading of a sweep.
    if (report.kind === 'sweep') {
      for (const v of report.variables) {
        const values = report.runs.filter((r) => r.status === 'completed').map((r) => ({ r, max: r.kpis[v.name]?.max ?? null }));
        const finite = values.filter((x): x is { r: ReportRun; max: number } => x.max !== null);
        if (finite.length === 0) continue;
        const hi = finite.reduce((a, b) => (b.max > a.max ? b : a));
        out.push(
          `Highest ${v.name}: ${formatNumber(hi.max)}${units.get(v.name) === undefined ? '' : ` ${units.get(v.name)}`}${where(hi.r.run_id)}.`,
        );
      }
    }
  }
  return out;
}

/** Builds the report of a stored run or sweep, its Markdown brief and its chart. */
export async function writeReport(
  subject: ReportSubject,
  sources: ReportSources,
  options: ReportOptions,
  render: ReportRenderOptions = {},
): Promise<WrittenReport> {
  const stored = subject.runs.filter((r): r is SubjectRun & { run_id: string } => r.status === 'completed' && r.run_id !== undefined);
  const firstRun = stored[0];
  if (firstRun === undefined) {
    throw new GatewayError(
      'BAD_REQUEST',
      `${subject.kind === 'sweep' ? 'Sweep' : 'Run'} "${subject.id}" has no completed run to report on`,
      {
        id: subject.id,
        hint: 'Fix the cause of the failed runs (see their errors) and run again.',
      },
    );
  }
  const first = metaOf(sources.results, firstRun.run_id);
  const p = first.provenance;
  const variables = chooseVariables(first, options);
  const names = variables.map((v) => v.name);
  const runs: ReportRun[] = [];
  for (const r of subject.runs) {
    if (r.status !== 'completed' || r.run_id === undefined) {
      runs.push({
        run_id: r.run_id ?? `#${r.index}`,
        index: r.index,
        status: 'failed',
        parameters: r.parameters,
        kpis: {},
        pass: (options.limits ?? []).length > 0 ? false : null,
        ...(r.error !== undefined ? { error: r.error } : {}),
      });
      continue;
    }
    const meta = r.run_id === firstRun.run_id ? first : metaOf(sources.results, r.run_id);
    runs.push({
      run_id: r.run_id,
      index: r.index,
      status: 'completed',
      parameters: r.parameters,
      ...(typeof meta.rows === 'number' ? { rows: meta.rows } : {}),
      kpis: await runKpis(sources.results, r.run_id, names),
      pass: null,
    });
  }
  const units = new Map(variables.map((v) => [v.name, v.unit]));
  const limits = evaluateLimits(options.limits ?? [], runs, units);
  for (const run of runs) {
    if (run.status !== 'completed' || limits.length === 0) continue;
    run.pass = limits.every((l) => l.checks.find((c) => c.run_id === run.run_id)?.pass === true);
  }
  const md = sources.modelDescription;
  const now = (sources.now ?? (() => new Date()))().toISOString();
  const title =
    options.title ??
    (subject.kind === 'sweep'
      ? `${p.model_name}: sweep of ${subject.swept.join(', ')} (${runs.length} runs)`
      : `${p.model_name}: run ${subject.id}`);
  const chartRuns = stored.slice(0, MAX_CHART_RUNS);
  const verdict: Report['verdict'] =
    limits.length === 0 ? 'no_limits' : limits.every((l) => l.pass) && runs.every((r) => r.status === 'completed') ? 'pass' : 'fail';
  const starts = stored.map((r) => (r.run_id === firstRun.run_id ? first : metaOf(sources.results, r.run_id)).provenance.started_at).sort();
  const draft: Omit<Report, 'findings'> = {
    report_version: 1,
    kind: subject.kind,
    id: subject.id,
    title,
    ...(options.purpose !== undefined ? { purpose: options.purpose } : {}),
    generated_at: now,
    model: {
      name: p.model_name,
      ...(md?.description !== undefined ? { description: md.description } : {}),
      fmu_id: p.fmu_id,
      fmu_sha256: p.fmu_sha256,
      fmi_version: p.fmi_version,
      interface: p.interface,
    },
    setup: {
      start_time: p.start_time,
      stop_time: p.stop_time,
      step: p.step,
      solver: p.solver,
      tolerance: p.tolerance,
      runs: runs.length,
      completed: stored.length,
    },
    parameters: describeParameters(subject, first, md, first.columns ?? []),
    inputs: (p.input_signals ?? []).map((s) => {
      const unit = md?.variables.find((v) => v.name === s.name)?.unit;
      return { ...s, ...(unit !== undefined ? { unit } : {}) };
    }),
    variables: variables.map((v) => ({
      name: v.name,
      ...(v.unit !== undefined ? { unit: v.unit } : {}),
      ...(v.description !== undefined ? { description: v.description } : {}),
      ...(v.causality !== undefined ? { causality: v.causality } : {}),
    })),
    kpis: [...REPORT_KPIS],
    runs,
    limits,
    verdict,
    chart: {
      file: 'report.png',
      variables: names,
      runs: chartRuns.map((r) => r.run_id),
      rows: chartRuns.reduce((n, r) => n + (runs.find((x) => x.run_id === r.run_id)?.rows ?? 0), 0),
    },
    provenance: {
      model_name: p.model_name,
      fmu_id: p.fmu_id,
      fmu_sha256: p.fmu_sha256,
      fmi_version: p.fmi_version,
      interface: p.interface,
      solver: p.solver,
      tolerance: p.tolerance,
      engine_version: p.engine_version,
      gateway_version: ENGINE_VERSION,
      run_ids: stored.map((r) => r.run_id),
      ...(subject.kind === 'sweep' ? { sweep_id: subject.id } : {}),
      started_at: starts[0] ?? null,
      generated_at: now,
    },
  };
  const report: Report = { ...draft, findings: findings(draft) };
  const png =
    subject.kind === 'run'
      ? await plotStoredRun(sources.results, firstRun.run_id, { title, variables: names, ...render.chartSize })
      : await plotStoredOverlay(
          sources.results,
          chartRuns.map((r) => ({
            runId: r.run_id,
            label: Object.entries(r.parameters)
              .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`)
              .join(', '),
          })),
          names,
          { title, ...render.chartSize },
        );
  return { report, markdown: renderMarkdown(report, render.maxTableRows === undefined ? {} : { maxTableRows: render.maxTableRows }), png };
}
