/** sweep: a parameter grid over one model; a table of per-run summaries / KPIs, progress per run, an overlay plot. */
import { MCP_OVERLAY_PLOT_SIZE } from '../../report/chart.ts';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { SweepInputSchema, SweepOutputSchema, type SweepSuccess } from '../../schemas/simulate.ts';
import { sweepRuns } from '../../service/sweep-runs.ts';
import { notifyProgress, type ToolExtra } from '../progress.ts';
import { CHART_TOOL_META } from '../resources/app.ts';
import type { ToolDeps } from './deps.ts';
import { attachPlot } from './plot.ts';
import { guarded, okResult } from './result.ts';

const MAX_TEXT_RUNS = 40;

function num(v: number | string | boolean | null | undefined): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(6))) : v === null || v === undefined ? '-' : String(v);
}

function render(out: SweepSuccess): string {
  const first = out.runs.find((r) => r.status === 'completed');
  const outputs = Object.keys(first?.summary ?? {}).slice(0, 6);
  const kpis = Object.keys(first?.kpis ?? {});
  const header = ['#', ...out.parameters, ...outputs.map((o) => `${o} final`), ...kpis, 'run_id'];
  const rows = out.runs
    .slice(0, MAX_TEXT_RUNS)
    .map((r) =>
      r.status === 'failed'
        ? [String(r.index), ...out.parameters.map((p) => num(r.start_values[p])), `failed: ${r.error?.code ?? '?'}`].join(' | ')
        : [
            String(r.index),
            ...out.parameters.map((p) => num(r.start_values[p])),
            ...outputs.map((o) => num(r.summary?.[o]?.final)),
            ...kpis.map((k) => num(r.kpis?.[k])),
            r.run_id ?? '-',
          ].join(' | '),
    );
  const more = out.runs.length > MAX_TEXT_RUNS ? `\n(${out.runs.length - MAX_TEXT_RUNS} more runs in the structured result)` : '';
  const warn = out.warnings.map((w) => `\nWarning: ${w}`).join('');
  return (
    `Sweep: ${out.completed}/${out.total} runs completed in ${(out.wall_ms / 1000).toFixed(2)} s.\n` +
    `${header.join(' | ')}\n${rows.join('\n')}${more}${warn}\n` +
    "Next: get_result {run_id} for a run's rows, compare_runs {run_ids} to set runs side by side."
  );
}

/** One progress notification per finished run (when the client sent a progressToken). */
function perRunProgress(extra: ToolExtra): ((done: number, total: number) => void) | undefined {
  if (extra.mcpReq._meta?.progressToken === undefined) return undefined;
  return (done, total) => {
    notifyProgress(extra, done, total, `${done} of ${total} runs finished`);
  };
}

export function registerSweep(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'sweep',
    {
      title: 'Sweep parameters',
      description:
        'Runs simulate for every combination of parameters[].values (other arguments as in simulate): a row per run ' +
        '(values, summary, KPIs, run_id), a sweep_id for report; plot overlays the runs. Progress per run.',
      inputSchema: SweepInputSchema,
      outputSchema: SweepOutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: deps.openWorld },
      _meta: CHART_TOOL_META,
    },
    (args, extra) =>
      guarded(async () => {
        const onRunDone = perRunProgress(extra);
        const res = await sweepRuns(deps.ctx, args, {
          signal: extra.mcpReq.signal,
          plotSize: MCP_OVERLAY_PLOT_SIZE,
          ...(onRunDone === undefined ? {} : { onRunDone }),
          ...(deps.callerId === undefined ? {} : { callerId: deps.callerId }),
        });
        const plot = attachPlot(
          res.plotPng,
          'sweep',
          deps.callerId,
          res.output.runs.flatMap((r) => (r.run_id === undefined || r.run_id === null ? [] : [r.run_id])),
        );
        const text = render(res.output) + (plot.note === undefined ? '' : `\n${plot.note}`);
        return okResult(res.output, text, plot.blocks);
      }, deps.log),
  );
}
