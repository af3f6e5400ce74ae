/** simulate: run an FMU with start values and input signals; small summary inline, full CSV as a resource. */
import { MCP_PLOT_SIZE } from '../../report/chart.ts';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { createSimulateInputSchema, SimulateOutputSchema } from '../../schemas/simulate.ts';
import { simulate } from '../../service/index.ts';
import { progressReporter } from '../progress.ts';
import { CHART_TOOL_META } from '../resources/app.ts';
import type { ToolDeps } from './deps.ts';
import { offeringCheckout, x402PaymentOf } from './payment.ts';
import { guarded } from './result.ts';
import { simulateToolResult } from './simulate-answer.ts';
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

export function registerSimulate(server: McpServer, deps: ToolDeps): RegisteredTool {
  const tool: RegisteredTool = server.registerTool(
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
            // stdio: this call may have been started before the server was up (../early-runs.ts).
            const early = deps.earlyRuns?.take(
              extra.mcpReq.id,
              args,
              { callerId: caller, progress: onProgress !== undefined, payment: x402Payment !== undefined, phases: phases !== undefined },
              extra.mcpReq.signal,
            );
            // The answer needs the output schema's JSON Schema (converted once per process): done
            // while the early run's job is still on its worker, not after.
            if (early !== undefined) void tool.outputSchemaJson;
            const res = await (early ??
              simulate(deps.ctx, args, {
                signal: extra.mcpReq.signal,
                // A compact palette PNG: the plot travels inside the agent's context.
                plotSize: MCP_PLOT_SIZE,
                ...(onProgress === undefined ? {} : { onProgress }),
                ...(x402Payment === undefined ? {} : { x402Payment }),
                ...(caller === undefined ? {} : { callerId: caller }),
                ...(phases === undefined ? {} : { phases }),
              }));
            onProgress?.(1, res.output.provenance.stop_time);
            const answer = simulateToolResult(res, deps.callerId);
            phases?.mark('render tool result');
            emitPhases(phases, 'mcp');
            return answer;
          }),
        deps.log,
      ),
  );
  return tool;
}
