/** upload_fmu: store the agent's own FMU by content and report what it is. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { UploadFmuInputSchema, UploadFmuOutputSchema, type UploadFmuSuccess } from '../../schemas/upload.ts';
import { routedUploadFmu } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';
import { modelUri } from '../resources/uris.ts';
import { escapeForText } from '../../text-escape.ts';

function render(out: UploadFmuSuccess): string {
  const c = out.counts;
  const warn = out.warnings.length === 0 ? '' : `\nWarnings:\n${out.warnings.map((w) => `- ${w}`).join('\n')}`;
  return (
    `${out.already_stored ? 'Already stored' : 'Stored'} ${escapeForText(out.model_name)} as ${out.fmu_id} ` +
    `(FMI ${out.fmi_version}, ${out.interfaces.join('/')}, platforms: ${out.platforms.join(', ') || 'none'}${out.has_sources ? ', with sources' : ''}; ` +
    `${c.inputs} inputs, ${c.outputs} outputs, ${c.parameters} parameters, ${c.states} states).${warn}\n` +
    `Next: get_variables {fmu_id: "${out.fmu_id}"}, then simulate.`
  );
}

export function registerUploadFmu(server: McpServer, deps: ToolDeps): RegisteredTool {
  const how =
    deps.transport === 'stdio' ? 'Give path (absolute) or content_base64.' : 'Give content_base64 (this server cannot read your files).';
  return server.registerTool(
    'upload_fmu',
    {
      title: 'Upload an FMU',
      description:
        `Validates and stores your FMI 2.0/3.0 .fmu (at most ${Math.round(deps.maxUploadBytes / 1048576)} MB). ${how} ` +
        'Returns its fmu_id ("sha256:<hex>"; same bytes, same id).',
      inputSchema: UploadFmuInputSchema,
      outputSchema: UploadFmuOutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        // Over HTTP the service refuses `path` (BAD_REQUEST): the server must not read its own files for a caller.
        const out = await routedUploadFmu(deps.ctx, args, { allowPath: deps.transport === 'stdio' });
        return okResult(out, render(out), [
          {
            type: 'resource_link',
            uri: modelUri(out.fmu_id),
            name: out.model_name,
            description: 'Full model description (JSON) of the uploaded FMU.',
            mimeType: 'application/json',
          },
        ]);
      }, deps.log),
  );
}
