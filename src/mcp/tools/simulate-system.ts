/** simulate_system: run connected FMUs (upload_system's system_id, or an inline description); answers like simulate. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { SimulateOutputSchema } from '../../schemas/simulate.ts';
import { createSimulateSystemInputSchema } from '../../schemas/system.ts';

import { simulateSystem } from '../../service/index.ts';
import { escapeForText } from '../../text-escape.ts';
import { progressReporter } from '../progress.ts';
import type { ToolDeps } from './deps.ts';
import { offeringCheckout, withSettlement, x402PaymentOf } from './payment.ts';
import { guarded, okResult } from './result.ts';

/** Built once per row limit and shared by every server (over HTTP a server is created per request). */
const inputSchemas = new Map<number, ReturnType<typeof createSimulateSystemInputSchema>>();
function inputSchemaFor(maxOutputRows: number): ReturnType<typeof createSimulateSystemInputSchema> {
  let schema = inputSchemas.get(maxOutputRows);
  if (schema === undefined) inputSchemas.set(maxOutputRows, (schema = createSimulateSystemInputSchema({ maxOutputRows })));
  return schema;
}

export function registerSimulateSystem(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'simulate_system',
    {
      title: 'Simulate connected FMUs',
      description:
        'FMUs wired output→input as one system (CS: a master; ME: one state vector). ' +
        'Columns "component.variable"; algebraic loops refused. Other arguments and result as in simulate.',
      inputSchema: inputSchemaFor(deps.maxOutputRows),
      outputSchema: SimulateOutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: deps.openWorld },
    },
    (args, extra) =>
      guarded(
        async () =>
          offeringCheckout(server, extra, async () => {
            const onProgress = progressReporter(extra);
            const x402Payment = x402PaymentOf(extra);
            const res = await simulateSystem(deps.ctx, args, {
              signal: extra.mcpReq.signal,
              ...(onProgress === undefined ? {} : { onProgress }),
              ...(x402Payment === undefined ? {} : { x402Payment }),
              ...(deps.callerId === undefined ? {} : { callerId: deps.callerId }),
            });
            const out = res.output;
            const p = out.provenance;
            const text = [
              `Run ${out.run_id} completed: system ${escapeForText(p.model_name)} (${p.interface}), t = ${p.start_time}..${p.stop_time} s, ${out.rows} rows.`,
              ...Object.entries(out.summary).map(([n, s]) => `- ${escapeForText(n)}: min ${s.min} / max ${s.max} / final ${s.final}`),
              ...out.warnings.slice(0, 5).map((w) => `Warning: ${w}`),
              `Full result (CSV): ${out.result_uri}`,
            ].join('\n');
            const blocks =
              res.plotPng === undefined ? [] : [{ type: 'image' as const, data: res.plotPng.toString('base64'), mimeType: 'image/png' }];
            return withSettlement(okResult(out, text, blocks), res.x402Settlement);
          }),
        deps.log,
      ),
  );
}
