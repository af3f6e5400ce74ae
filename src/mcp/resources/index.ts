/** Registers every resource template of the server. */
import type { McpServer } from '@modelcontextprotocol/server';
import type { ToolDeps } from '../tools/deps.ts';
import { registerAppResources } from './app.ts';
import { registerFmuResources } from './fmus.ts';
import { pageResourceList } from './paging.ts';
import { registerLibraryResources } from './library.ts';
import { registerRunFileResources, registerRunResources } from './runs.ts';

export function registerResources(server: McpServer, deps: ToolDeps): void {
  pageResourceList(server);
  // The caller's recent runs first: what an agent most likely wants from the first page.
  registerRunResources(server, deps);
  registerLibraryResources(server, deps);
  registerFmuResources(server, deps);
  registerAppResources(server, deps);
  registerRunFileResources(server, deps);
}
