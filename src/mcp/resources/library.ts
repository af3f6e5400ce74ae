/** fmu-gateway://library/<Name>: the full model description of a built-in model, as JSON. */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { describeLibraryModel, listLibrary } from '../../service/index.ts';
import type { ToolDeps } from '../tools/deps.ts';
import { guardedRead, single } from './errors.ts';
import { LIBRARY_URI_TEMPLATE, modelUri } from './uris.ts';

export function registerLibraryResources(server: McpServer, deps: ToolDeps): void {
  const template = new ResourceTemplate(LIBRARY_URI_TEMPLATE, {
    list: async () => {
      const out = await listLibrary(deps.ctx, { limit: 200 });
      return {
        resources: out.models.map((m) => ({
          uri: modelUri(m.id),
          name: m.id,
          title: m.name,
          description: m.description,
          mimeType: 'application/json',
        })),
      };
    },
  });
  server.registerResource(
    'library-model',
    template,
    {
      title: 'Built-in model description',
      description: 'Model description of a built-in model (msl:<Name>): variables, units, default experiment, FMI capabilities, equations.',
      mimeType: 'application/json',
    },
    (uri, vars) =>
      guardedRead(
        async () => {
          const description = await describeLibraryModel(deps.ctx, single(vars.name));
          return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(description.data, null, 2) }] };
        },
        deps.log,
        uri.href,
      ),
  );
}
