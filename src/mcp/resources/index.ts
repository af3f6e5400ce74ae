/** Registers every resource template of the server. */
import type { McpServer } from '@modelcontextprotocol/server';
import type { ToolDeps } from '../tools/deps.ts';
import { registerFmuResources } from './fmus.ts';
import { registerLibraryResources } from './library.ts';
import { registerRunFileResources, registerRunResources } from './runs.ts';

export function registerResources(server: McpServer, deps: ToolDeps): void {
  registerLibraryResources(server, deps);
  registerFmuResources(server, deps);
  registerRunResources(server, deps);
  registerRunFileResources(server, deps);
}
