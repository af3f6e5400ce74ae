/** fmu-gateway://fmus/<sha256>: the model description of an uploaded FMU, as JSON. */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { describeUploadedFmu } from '../../service/index.ts';
import type { ToolDeps } from '../tools/deps.ts';
import { guardedRead, single } from './errors.ts';
import { FMU_URI_TEMPLATE } from './uris.ts';

// No list callback: uploads are shared by every client of a server; listing them would show
// one agent's FMUs to another. An agent knows its own ids from upload_fmu. Without callbacks the
// template holds no state, so every server (one per HTTP request) shares it.
const template = new ResourceTemplate(FMU_URI_TEMPLATE, { list: undefined });

export function registerFmuResources(server: McpServer, deps: ToolDeps): void {
  server.registerResource(
    'uploaded-fmu',
    template,
    {
      title: 'Uploaded FMU description',
      description: 'Model description of an uploaded FMU (by the sha256 of its bytes, as in fmu_id "sha256:<hex>").',
      mimeType: 'application/json',
    },
    (uri, vars) =>
      guardedRead(
        async () => {
          const description = await describeUploadedFmu(deps.ctx, single(vars.sha256));
          return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(description.data, null, 2) }] };
        },
        deps.log,
        uri.href,
      ),
  );
}
