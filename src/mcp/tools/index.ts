/** Registers every tool of the server (one file per tool). */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from './deps.ts';
import { registerGetVariables } from './get-variables.ts';
import { registerListLibrary } from './list-library.ts';
import { registerSimulate } from './simulate.ts';
import { registerUploadFmu } from './upload-fmu.ts';

export function registerTools(server: McpServer, deps: ToolDeps): void {
  registerListLibrary(server, deps);
  registerGetVariables(server, deps);
  registerUploadFmu(server, deps);
  registerSimulate(server, deps);
}
