/** fmu-gateway://runs/<run_id>/result.csv: the full result of a simulate call. */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { GatewayError } from '../../errors.ts';
import { assertRunVisible, readRunResult } from '../../service/index.ts';
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
        const runId = single(vars.run_id);
        await assertRunVisible(deps.ctx, runId);
        const file = readRunResult(deps.ctx, runId);
        if (file.sizeBytes > MAX_RESOURCE_BYTES) {
          throw new GatewayError(
            'OUTPUT_LIMIT_EXCEEDED',
            `The result of this run is ${file.sizeBytes} bytes, more than the ${MAX_RESOURCE_BYTES} a resource read returns.`,
            {
              hint: 'Use the inline series and summary of simulate, or run again with a larger step or fewer outputs.',
              size_bytes: file.sizeBytes,
              limit_bytes: MAX_RESOURCE_BYTES,
            },
          );
        }
        return { contents: [{ uri: uri.href, mimeType: 'text/csv', text: file.readText() }] };
      }, deps.log),
  );
}
