/** get_variables: names, causality, types, start values and units of an FMU's variables. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { GetVariablesInputSchema, GetVariablesOutputSchema, type GetVariablesSuccess } from '../../schemas/variables.ts';
import { routedGetVariables } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';
import { modelUri } from '../resources/uris.ts';
import { escapeForText } from '../../text-escape.ts';

const MAX_TEXT_ROWS = 60;

function render(out: GetVariablesSuccess): string {
  const head = `${escapeForText(out.model_name)} (FMI ${out.fmi_version}, ${out.interfaces.join('/')}): ${out.total} matching variables`;
  const rows = out.variables.slice(0, MAX_TEXT_ROWS).map((v) => {
    const start = v.start === undefined ? '' : ` start=${JSON.stringify(v.start)}`;
    const unit = v.unit === undefined ? '' : ` [${escapeForText(v.unit)}]`;
    return `- ${escapeForText(v.name)}: ${v.causality} ${v.type}${unit}${escapeForText(start)}${v.description === undefined ? '' : ` — ${escapeForText(v.description)}`}`;
  });
  const cut = out.variables.length > MAX_TEXT_ROWS ? `\n(${out.variables.length - MAX_TEXT_ROWS} more in the structured result)` : '';
  const de = out.default_experiment;
  const exp =
    de.stop_time === undefined
      ? ''
      : `\nDefault experiment: start ${de.start_time ?? 0} s, stop ${de.stop_time} s${de.step_size === undefined ? '' : `, step ${de.step_size} s`}.`;
  return `${head}\n${rows.join('\n')}${cut}${exp}\nNext: simulate {fmu_id, stop_time, start_values: {parameter: value}, input_signals: [...], outputs: [...]}.`;
}

export function registerGetVariables(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'get_variables',
    {
      title: 'Get the variables of a model',
      description:
        "An FMU's variables (name, causality, type, start, unit, description) and default experiment. " + 'Use these exact names.',
      inputSchema: GetVariablesInputSchema,
      outputSchema: GetVariablesOutputSchema,
      // Read-only: destructive/idempotent hints do not apply (MCP spec); omitted to keep tools/list short.
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        const out = await routedGetVariables(deps.ctx, args);
        return okResult(out, render(out), [
          {
            type: 'resource_link',
            uri: modelUri(args.fmu_id),
            name: out.model_name,
            description: 'Full model description (JSON): variables, units, capabilities.',
            mimeType: 'application/json',
          },
        ]);
      }, deps.log),
  );
}
