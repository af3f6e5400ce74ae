/** report: an engineering brief of a stored run or sweep — KPIs with units, limits pass/fail, provenance — and its chart. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { MCP_OVERLAY_PLOT_SIZE, MCP_PLOT_SIZE } from '../../report/chart.ts';
import { ReportInputSchema, ReportToolOutputSchema, type ReportToolSuccess } from '../../schemas/report.ts';
import { buildReport } from '../../service/report.ts';
import { SWEEP_ID_PATTERN } from '../../service/sweep-store.ts';
import type { ToolDeps } from './deps.ts';
import { attachPlot } from './plot.ts';
import { guarded, okResult } from './result.ts';

/** Sweep rows in the brief's table inside an agent's context; the rest are summarized by the findings. */
const MAX_TABLE_ROWS = 40;

export function registerReport(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'report',
    {
      title: 'Engineering report',
      description: 'Engineering brief of a stored run or sweep: KPIs with units, limits pass/fail, provenance, chart.',
      inputSchema: ReportInputSchema,
      outputSchema: ReportToolOutputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const { id, ...options } = args;
        const written = await buildReport(deps.ctx, id, options, {
          chartSize: SWEEP_ID_PATTERN.test(id) ? MCP_OVERLAY_PLOT_SIZE : MCP_PLOT_SIZE,
          maxTableRows: MAX_TABLE_ROWS,
        });
        const r = written.report;
        const out: ReportToolSuccess = {
          status: 'ok',
          kind: r.kind,
          id: r.id,
          title: r.title,
          verdict: r.verdict,
          variables: r.variables,
          limits: r.limits.map(({ checks: _checks, ...l }) => l),
          findings: r.findings,
          chart: r.chart,
          provenance: r.provenance,
        };
        // The report's chart is asked for by name: not deduplicated against earlier plots of the same runs.
        const plot = attachPlot(written.png, 'report', deps.callerId, [`report:${r.id}:${Date.now()}`]);
        return okResult(out, written.markdown + (plot.note === undefined ? '' : `\n${plot.note}`), plot.blocks);
      }, deps.log),
  );
}
