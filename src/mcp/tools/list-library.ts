/** list_library: what built-in models exist (the usual first call of a session). */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListLibraryInputSchema, ListLibraryOutputSchema, type ListLibrarySuccess } from '../../schemas/library.ts';
import { routedListLibrary } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

function render(out: ListLibrarySuccess): string {
  if (out.models.length === 0) return 'No built-in model matches. Call list_library without query to see all models.';
  const lines = out.models.map((m) => {
    const counts = `${m.counts.inputs} in / ${m.counts.outputs} out / ${m.counts.parameters} par`;
    return `- ${m.id}: ${m.description} [FMI ${m.fmi_versions.join('/')}, ${m.interfaces.join('/')}, ${counts}]`;
  });
  const more = out.total > out.models.length ? `\n(${out.total - out.models.length} more: raise limit or refine query)` : '';
  return `${out.models.length} of ${out.total} models:\n${lines.join('\n')}${more}\nNext: get_variables {fmu_id} to see names and units, or simulate {fmu_id, stop_time}.`;
}

export function registerListLibrary(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'list_library',
    {
      title: 'List built-in simulation models',
      description:
        'Lists the built-in simulation models (FMUs) this gateway can run, optionally filtered by words in their name, ' +
        'description, tags or variable names. Each model has an id like "msl:BouncingBall" to pass as fmu_id to ' +
        'get_variables (names, units, start values) and simulate. Start here when you do not have an FMU of your own; ' +
        'with your own .fmu file call upload_fmu instead.',
      inputSchema: ListLibraryInputSchema,
      outputSchema: ListLibraryOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const out = await routedListLibrary(deps.ctx, args);
        return okResult(out, render(out));
      }, deps.log),
  );
}
