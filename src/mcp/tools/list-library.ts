/** list_library: what built-in models exist (the usual first call of a session). */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
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
      description: 'Built-in models (FMUs), filtered by words; each id ("msl:BouncingBall") is an fmu_id. Your own .fmu: upload_fmu.',
      inputSchema: ListLibraryInputSchema,
      outputSchema: ListLibraryOutputSchema,
      // Read-only: destructive/idempotent hints do not apply (MCP spec); omitted to keep tools/list short.
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const out = await routedListLibrary(deps.ctx, args);
        return okResult(out, render(out));
      }, deps.log),
  );
}
