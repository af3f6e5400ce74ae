/** compare_runs: stored runs side by side (settings that differ, summaries, KPIs), optionally an overlay plot. */
import { MCP_OVERLAY_PLOT_SIZE } from '../../report/chart.ts';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { CompareRunsInputSchema, CompareRunsOutputSchema, type CompareRunsSuccess } from '../../schemas/results.ts';
import { compareRuns } from '../../service/compare-runs.ts';
import { CHART_TOOL_META } from '../resources/app.ts';
import type { ToolDeps } from './deps.ts';
import { attachPlot } from './plot.ts';
import { guarded, okResult } from './result.ts';

function num(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : String(Number(v.toPrecision(6)));
}

function render(out: CompareRunsSuccess): string {
  const lines = [`${out.runs.length} runs; settings that differ: ${out.differing_settings.join(', ') || 'none'}.`];
  for (const v of out.variables) {
    lines.push(`${v} (min / max / mean / final):`);
    for (const r of out.runs) {
      const s = r.summary[v];
      lines.push(`- ${r.run_id}: ${num(s?.min)} / ${num(s?.max)} / ${num(s?.mean)} / ${num(s?.final)}`);
    }
  }
  const kpis = [...new Set(out.runs.flatMap((r) => Object.keys(r.kpis)))];
  for (const k of kpis) lines.push(`${k}: ${out.runs.map((r) => num(r.kpis[k])).join(' | ')}`);
  return lines.join('\n');
}

export function registerCompareRuns(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'compare_runs',
    {
      title: 'Compare stored runs',
      description: 'Two or more stored runs side by side: settings that differ, per-variable summaries, KPIs; plot overlays them.',
      inputSchema: CompareRunsInputSchema,
      outputSchema: CompareRunsOutputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: CHART_TOOL_META,
    },
    (args) =>
      guarded(async () => {
        const res = await compareRuns(
          deps.ctx,
          args,
          deps.callerId === undefined ? {} : { callerId: deps.callerId },
          MCP_OVERLAY_PLOT_SIZE,
        );
        const plot = attachPlot(
          res.plotPng,
          'compare_runs',
          deps.callerId,
          res.output.runs.map((r) => r.run_id),
        );
        const text = render(res.output) + (plot.note === undefined ? '' : `\n${plot.note}`);
        return okResult(res.output, text, plot.blocks);
      }, deps.log),
  );
}
