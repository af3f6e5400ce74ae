/** upload_system: store a connected system (an SSP archive or a JSON description), checked as a whole. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { UploadSystemInputSchema, UploadSystemOutputSchema } from '../../schemas/system.ts';
import { uploadSystem } from '../../service/index.ts';
import { escapeForText } from '../../text-escape.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

export function registerUploadSystem(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'upload_system',
    {
      title: 'Upload a system of FMUs',
      description:
        `An SSP 1.0/2.0 .ssp (${deps.transport === 'stdio' ? 'path or content_base64' : 'content_base64'}) or system ` +
        'description. Checked whole; returns system_id for simulate_system.',
      inputSchema: UploadSystemInputSchema,
      outputSchema: UploadSystemOutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const out = await uploadSystem(deps.ctx, args, { allowPath: deps.transport === 'stdio' });
        const comps = Object.entries(out.components).map(([n, c]) => `${n} = ${escapeForText(c.model_name)} (${c.interfaces.join('/')})`);
        return okResult(
          out,
          `Stored system ${out.system_id}: ${comps.join(', ')}; ${out.connections} connections.\nNext: simulate_system {system_id: "${out.system_id}"}.`,
        );
      }, deps.log),
  );
}
