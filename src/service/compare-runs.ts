/**
 * Use case compare_runs: stored runs side by side — each run's settings, summary and KPIs for the
 * variables they share, which settings differ, and on request an overlay plot (one panel per
 * variable, one line per run) read from the stored results.
 */
import { GatewayError } from '../errors.ts';
import type { CompareRunsInput, CompareRunsSuccess } from '../schemas/results.ts';
import type { OutputSummary } from '../schemas/simulate.ts';
import type { ServiceContext } from './context.ts';
import { plotStoredOverlay } from '../report/result-chart.ts';
import { ensureRunsLocal } from './read-run.ts';
import { normalizeRunId, readOwnedMeta, type RunAccess } from './run-slice.ts';

/** Settings whose difference explains a difference in results (provenance fields). */
const SETTINGS = ['fmu_id', 'fmi_version', 'interface', 'solver', 'tolerance', 'start_time', 'stop_time', 'step'] as const;

interface Meta {
  summary: Record<string, OutputSummary>;
  kpis: Record<string, number | null>;
  rows: number;
  provenance: Record<string, unknown> & { model_name?: string; start_values?: Record<string, number | boolean | string> };
}

export interface CompareRunsResult {
  output: CompareRunsSuccess;
  plotPng?: Buffer;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function compareRuns(
  ctx: ServiceContext,
  input: CompareRunsInput,
  access: RunAccess = {},
  plotSize: { width?: number; height?: number } = {},
): Promise<CompareRunsResult> {
  const ids = input.run_ids.map(normalizeRunId);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) {
    throw new GatewayError('BAD_REQUEST', `run ${repeated[0]} is listed twice`, { hint: 'List each run once.' });
  }
  await ensureRunsLocal(ctx, ids);
  const metas = ids.map((id) => readOwnedMeta(ctx, id, access) as unknown as Meta);
  const shared = Object.keys(metas[0]?.summary ?? {}).filter((v) => metas.every((m) => m.summary?.[v] !== undefined));
  const variables = input.variables ?? shared;
  for (const v of variables) {
    const missing = ids.filter((_, i) => metas[i]?.summary?.[v] === undefined);
    if (missing.length > 0) {
      throw new GatewayError('UNKNOWN_VARIABLE', `"${v}" is not a numeric output of run ${missing.join(', ')}`, {
        variable: v,
        valid_names: shared,
        hint: `Compare variables every run recorded: ${shared.join(', ') || '(none in common)'}.`,
      });
    }
  }
  const differing: string[] = [];
  for (const key of SETTINGS) {
    if (!metas.every((m) => same(m.provenance?.[key], metas[0]?.provenance?.[key]))) differing.push(key);
  }
  const svNames = [...new Set(metas.flatMap((m) => Object.keys(m.provenance?.start_values ?? {})))].sort();
  for (const n of svNames) {
    if (!metas.every((m) => same(m.provenance?.start_values?.[n], metas[0]?.provenance?.start_values?.[n])))
      differing.push(`start_values.${n}`);
  }
  const output: CompareRunsSuccess = {
    status: 'ok',
    variables,
    differing_settings: differing,
    runs: metas.map((m, i) => {
      const summary: Record<string, OutputSummary> = {};
      for (const v of variables) summary[v] = m.summary[v] as OutputSummary;
      return {
        run_id: ids[i] as string,
        model_name: String(m.provenance?.model_name ?? ''),
        start_values: { ...m.provenance?.start_values },
        summary,
        kpis: { ...m.kpis },
      };
    }),
  };
  if (input.plot !== true || variables.length === 0) return { output };
  const changed = differing.filter((d) => d.startsWith('start_values.')).map((d) => d.slice('start_values.'.length));
  const runs = ids.map((id, i) => {
    const sv = metas[i]?.provenance?.start_values ?? {};
    return { runId: id, label: changed.length > 0 ? changed.map((n) => `${n}=${String(sv[n] ?? '-')}`).join(', ') : id };
  });
  const title = `${output.runs[0]?.model_name ?? 'runs'}: ${ids.length} runs compared`;
  // Every stored row of each run, reduced per pixel column (report/result-chart.ts); the runs
  // were checked readable by this caller above (readOwnedMeta).
  return { output, plotPng: await plotStoredOverlay(ctx.results, runs, variables, { title, ...plotSize }) };
}
