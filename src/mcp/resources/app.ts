/**
 * ui://fmu-gateway/chart.html: the MCP App (ext-apps) that simulate, sweep and compare_runs name
 * in `_meta.ui.resourceUri`. Hosts with Apps support render it beside the tool result; others
 * ignore it and show the text (+ optional PNG). The HTML is built by tools/build-app.ts into one
 * self-contained file; its CSP and `_meta.ui.csp` allow no outside origin.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/server';
import { GatewayError } from '../../errors.ts';
import { PROJECT_ROOT } from '../../project-root.ts';
import type { ToolDeps } from '../tools/deps.ts';
import { guardedRead } from './errors.ts';

export const CHART_APP_URI = 'ui://fmu-gateway/chart.html';
/** The MCP Apps HTML profile (ext-apps RESOURCE_MIME_TYPE). */
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';
const APP_FILE = join(PROJECT_ROOT, 'build', 'app', 'chart.html');

/** What a tool declares to be shown with the chart. */
export const CHART_TOOL_META = { ui: { resourceUri: CHART_APP_URI } } as const;

export function registerAppResources(server: McpServer, deps: ToolDeps): void {
  server.registerResource(
    'chart-app',
    CHART_APP_URI,
    {
      title: 'Interactive chart',
      description: 'MCP App: the result of simulate, sweep, compare_runs as a chart.',
      mimeType: APP_MIME_TYPE,
    },
    (uri) =>
      guardedRead(
        async () => {
          const html = await readFile(APP_FILE, 'utf8').catch(() => {
            throw new GatewayError('NOT_FOUND', 'The chart app is not built in this installation.', {
              hint: 'Run `npm run build` in the package (it needs the optional @modelcontextprotocol/ext-apps).',
            });
          });
          return {
            contents: [
              {
                uri: uri.href,
                mimeType: APP_MIME_TYPE,
                text: html,
                // Strictest: no connect / resource / frame / base-uri domain at all.
                _meta: {
                  ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] }, prefersBorder: true },
                },
              },
            ],
          };
        },
        deps.log,
        uri.href,
      ),
  );
}
