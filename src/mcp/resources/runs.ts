/** fmu-gateway://runs/<run_id>/result.csv: the full result of a simulate call. */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { readRunResult } from '../../service/index.ts';
import type { ToolDeps } from '../tools/deps.ts';
import { guardedRead, single } from './errors.ts';
import { RESULT_URI_TEMPLATE } from './uris.ts';

/** A resource read is one JSON-RPC message: keep it well below what clients buffer. */
const MAX_RESOURCE_BYTES = 16 * 1024 * 1024;

export function registerRunResources(server: McpServer, deps: ToolDeps): void {
  // No list callback: runs accumulate without bound and belong to whoever started them.
  const template = new ResourceTemplate(RESULT_URI_TEMPLATE, { list: undefined });
  server.registerResource(
    'run-result',
    template,
    {
      title: 'Simulation result (CSV)',
      description: 'Full-resolution result of a simulate run: a header "time,<output>,..." and one row per output step.',
      mimeType: 'text/csv',
    },
    (uri, vars) =>
      guardedRead(async () => {
        const file = readRunResult(deps.ctx, single(vars.run_id));
        // OUTPUT_LIMIT_EXCEEDED (with a hint to read it in parts) beyond what one message should carry.
        const text = await file.readText(MAX_RESOURCE_BYTES);
        return { contents: [{ uri: uri.href, mimeType: 'text/csv', text }] };
      }, deps.log),
  );
}
