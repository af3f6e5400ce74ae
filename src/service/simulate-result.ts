/**
 * A SimulationResult → the `completed` envelope: per-output summary, KPIs (full resolution),
 * a downsampled series, provenance. (Plots are drawn from the stored run: report/result-chart.ts.)
 */
import { computeKpis } from '../engine/kpis.ts';
import { pick, selectRows } from '../engine/downsample.ts';
import { isNumericColumn, summarizeResult } from '../engine/summary.ts';
import type { SimulationResult } from '../engine/types.ts';
import type { IsolationReport } from '../runner/types.ts';
import type { Provenance, SimulateCompleted, SimulateInput } from '../schemas/simulate.ts';
import { DEFAULT_MAX_POINTS } from '../schemas/simulate.ts';
import { ENGINE_VERSION } from '../version.ts';
import type { SimulationPlan } from './simulate-plan.ts';

export function resultUri(runId: string): string {
  return `fmu-gateway://runs/${runId}/result.csv`;
}

export function isolationLabel(r: IsolationReport): string {
  return r.features.length > 0 ? `${r.level} (${r.features.join(', ')})` : r.level;
}

/** The provenance of a run made on this gateway (the rest comes from the plan in buildCompleted). */
export function localProvenance(
  fmuId: string,
  fmu: { sha256: string; modelDescription: { model_name: string } },
  isolation: IsolationReport,
  startedAt: Date,
  /** The result, when a worker node of the job queue ran it (SimulationResult.executedOn). */
  result?: Pick<SimulationResult, 'executedOn'>,
): CompletedParts['provenance'] {
  const node = result?.executedOn;
  return {
    fmu_id: fmuId,
    fmu_sha256: fmu.sha256,
    model_name: fmu.modelDescription.model_name,
    engine_version: ENGINE_VERSION,
    isolation: node === undefined ? isolationLabel(isolation) : node.isolation,
    started_at: startedAt.toISOString(),
    executed_on: node === undefined ? 'local' : `worker:${node.node}`,
  };
}

function numericColumns(result: SimulationResult) {
  return result.columns.filter(isNumericColumn).filter((c) => c.name !== 'time');
}

/** Significant digits of the inline series: what a reader can use; the full result has every bit. */
export const SERIES_DIGITS = 6;
/** Time keeps more digits, so that close samples late in a long run stay distinct. */
export const SERIES_TIME_DIGITS = 10;

function rounded(values: (number | null)[], digits: number): (number | null)[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) values[i] = Number(v.toPrecision(digits));
  }
  return values;
}

/**
 * At most `maxPoints` rows of the numeric columns (extrema, first, last and event rows kept), values
 * rounded to SERIES_DIGITS significant digits. `round: false` keeps full precision (plots).
 */
export function buildSeries(result: SimulationResult, maxPoints: number, round = true): Record<string, (number | null)[]> {
  // Computed by the worker beside the full columns: the event loop does not scan every row.
  const computed = result.digest?.series.find((s) => s.points === maxPoints);
  if (computed !== undefined) {
    const out: Record<string, (number | null)[]> = {};
    for (const [name, values] of Object.entries(computed.values))
      out[name] = round ? rounded([...values], name === 'time' ? SERIES_TIME_DIGITS : SERIES_DIGITS) : values;
    return out;
  }
  const cols = numericColumns(result);
  const rows = selectRows(
    { rows: result.rows, columns: cols.map((c) => c.values), ...(result.eventRows ? { eventRows: result.eventRows } : {}) },
    maxPoints,
  );
  const series: Record<string, (number | null)[]> = {
    time: round ? rounded(pick(result.time, rows), SERIES_TIME_DIGITS) : pick(result.time, rows),
  };
  for (const c of cols) series[c.name] = round ? rounded(pick(c.values, rows), SERIES_DIGITS) : pick(c.values, rows);
  return series;
}

export interface CompletedParts {
  runId: string;
  input: SimulateInput;
  plan: SimulationPlan;
  result: SimulationResult;
  provenance: Omit<
    Provenance,
    | 'fmi_version'
    | 'interface'
    | 'solver'
    | 'tolerance'
    | 'start_time'
    | 'stop_time'
    | 'step'
    | 'start_values'
    | 'input_signals'
    | 'outputs'
  >;
}

/** Enough for any agent-sized answer; the CSV has every row. */
const MAX_EVENT_TIMES = 1000;

export function buildCompleted({ runId, input, plan, result, provenance }: CompletedParts): SimulateCompleted {
  const { summary, skipped, warnings: summaryWarnings } = result.digest ?? summarizeResult(result);
  delete summary.time;
  const byName = new Map(numericColumns(result).map((c) => [c.name, c.values]));
  const kpis = result.digest?.kpis ?? computeKpis(plan.kpis, result.time, (n) => byName.get(n));
  const warnings = [...plan.warnings, ...result.warnings, ...summaryWarnings];
  if (skipped.length > 0) warnings.push(`Non-numeric outputs are only in the CSV result: ${skipped.join(', ')}.`);
  if (result.columns.some((c) => c.name === 'time'))
    warnings.push('A variable named "time" is only in the CSV result (the series key "time" is the simulation time).');
  const out: SimulateCompleted = {
    status: 'completed',
    run_id: runId,
    rows: result.rows,
    summary,
    kpis,
    series: buildSeries(result, input.max_points ?? DEFAULT_MAX_POINTS),
    result_uri: resultUri(runId),
    provenance: {
      ...provenance,
      fmi_version: result.fmiVersion,
      interface: result.interface,
      solver: result.interface === 'ME' ? (result.solver ?? input.solver ?? 'auto') : null,
      tolerance: result.tolerance ?? plan.options.tolerance ?? null,
      start_time: plan.startTime,
      stop_time: plan.stopTime,
      step: plan.step,
      start_values: { ...input.start_values },
      input_signals: (input.input_signals ?? []).map((s) => ({
        name: s.name,
        samples: s.time.length,
        t_first: s.time[0] ?? 0,
        t_last: s.time[s.time.length - 1] ?? 0,
        interpolation: s.interpolation ?? 'default',
      })),
      outputs: result.columns.map((c) => c.name),
    },
    stats: {
      steps: result.stats.steps,
      events: result.stats.events,
      rejected_steps: result.stats.rejectedSteps,
      wall_ms: result.stats.wallMs,
    },
    warnings,
  };
  if (result.terminatedEarly !== undefined) out.terminated_early = { ...result.terminatedEarly };
  const events = result.digest?.eventTimes ?? eventTimes(result);
  if (events.length > 0) out.event_times = events;
  return out;
}

/** Times of the events the ME driver handled (rows marked before/after an event), at most MAX_EVENT_TIMES. */
export function eventTimes(result: Pick<SimulationResult, 'rows' | 'time' | 'eventRows'>): number[] {
  const out: number[] = [];
  const marks = result.eventRows;
  if (marks === undefined) return out;
  for (let r = 0; r < result.rows && out.length < MAX_EVENT_TIMES; r++) {
    const t = result.time[r] as number;
    if (marks[r] === 1 && out[out.length - 1] !== t) out.push(t);
  }
  return out;
}
