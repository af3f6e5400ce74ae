/** simulate: run an FMU with start values and input signals; small summary inline, full CSV as a resource. */
import { MCP_PLOT_SIZE } from '../../report/chart.ts';
import type { ContentBlock, McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { createSimulateInputSchema, SimulateOutputSchema, type SimulateCompleted } from '../../schemas/simulate.ts';
import { simulate } from '../../service/index.ts';
import { progressReporter } from '../progress.ts';
import { CHART_TOOL_META } from '../resources/app.ts';
import type { ToolDeps } from './deps.ts';
import { offeringCheckout, withSettlement, x402PaymentOf } from './payment.ts';
import { attachPlot } from './plot.ts';
import { guarded, okResult } from './result.ts';
import { escapeForText } from '../../text-escape.ts';
import { emitPhases, phaseClockIfEnabled } from '../../service/phases.ts';

/**
 * Built once per row limit and shared by every server: over HTTP a server is created per request,
 * and building this schema (refinements included) cost more than checking a call against it.
 */
const inputSchemas = new Map<number, ReturnType<typeof createSimulateInputSchema>>();
function inputSchemaFor(maxOutputRows: number): ReturnType<typeof createSimulateInputSchema> {
  let schema = inputSchemas.get(maxOutputRows);
  if (schema === undefined) inputSchemas.set(maxOutputRows, (schema = createSimulateInputSchema({ maxOutputRows })));
  return schema;
}

function num(v: number | null): string {
  return v === null ? '-' : String(Number(v.toPrecision(6)));
}

function render(out: SimulateCompleted): string {
  const p = out.provenance;
  const lines = [
    `Run ${out.run_id} completed: ${escapeForText(p.model_name)}, t = ${p.start_time}..${p.stop_time} s, ${out.rows} rows ` +
      `(FMI ${p.fmi_version} ${p.interface}${p.solver === null ? '' : `, solver ${p.solver}`}, ${out.stats.wall_ms.toFixed(0)} ms).`,
    'Outputs (min / max / mean / final):',
    ...Object.entries(out.summary).map(
      ([name, s]) =>
        `- ${escapeForText(name)}${s.unit === undefined ? '' : ` [${escapeForText(s.unit)}]`}: ${num(s.min)} / ${num(s.max)} / ${num(s.mean)} / ${num(s.final)}`,
    ),
  ];
  const kpis = Object.entries(out.kpis);
  if (kpis.length > 0) lines.push(`KPIs: ${kpis.map(([k, v]) => `${k} = ${num(v)}`).join(', ')}`);
  if (out.terminated_early !== undefined) lines.push(`Stopped early at t = ${out.terminated_early.time} s: ${out.terminated_early.reason}`);
  for (const w of out.warnings.slice(0, 5)) lines.push(`Warning: ${w}`);
  lines.push(
    `Full result (CSV): ${out.result_uri} — read it as a resource. The inline series has ${(out.series.time ?? []).length} points.`,
  );
  return lines.join('\n');
}

export function registerSimulate(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'simulate',
    {
      title: 'Simulate a model',
      description:
        'Runs an FMU, one row per step. Returns per-output min/max/mean/final, KPIs, a short series and run_id ' +
        '(rows: get_result); plot adds a PNG. Progress; cancellable.',
      inputSchema: inputSchemaFor(deps.maxOutputRows),
      outputSchema: SimulateOutputSchema,
      // Not read-only: it stores a run result (and may consume a payment token); each call is a new run.
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: deps.openWorld },
      _meta: CHART_TOOL_META,
    },
    (args, extra) =>
      guarded(
        async () =>
          offeringCheckout(server, extra, async () => {
            const phases = phaseClockIfEnabled(deps.ctx.config);
            const onProgress = progressReporter(extra);
            // stdio is the one local caller; over HTTP the context is scoped to the request's key.
            const caller = deps.callerId;
            const x402Payment = x402PaymentOf(extra);
            const res = await simulate(deps.ctx, args, {
              signal: extra.mcpReq.signal,
              // A compact palette PNG: the plot travels inside the agent's context.
              plotSize: MCP_PLOT_SIZE,
              ...(onProgress === undefined ? {} : { onProgress }),
              ...(x402Payment === undefined ? {} : { x402Payment }),
              ...(caller === undefined ? {} : { callerId: caller }),
              ...(phases === undefined ? {} : { phases }),
            });
            const out = res.output;
            onProgress?.(1, out.provenance.stop_time);
            const blocks: ContentBlock[] = [
              {
                type: 'resource_link',
                uri: out.result_uri,
                name: `result.csv of run ${out.run_id}`,
                description: `Full result: time and ${out.provenance.outputs.length} outputs, ${out.rows} rows.`,
                mimeType: 'text/csv',
              },
            ];
            const plot = attachPlot(res.plotPng, 'simulate', deps.callerId, [out.run_id]);
            blocks.push(...plot.blocks);
            const text = render(out) + (plot.note === undefined ? '' : `\n${plot.note}`);
            const answer = withSettlement(okResult(out, text, blocks), res.x402Settlement);
            phases?.mark('render tool result');
            emitPhases(phases, 'mcp');
            return answer;
          }),
        deps.log,
      ),
  );
}
