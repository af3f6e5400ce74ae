/**
 * One seam to put our behaviour in front of a request handler the McpServer installs itself
 * (tools/call, tools/list, resources/list): the server's `_wrapHandler` hook, which the SDK
 * documents for subclasses and uses itself to validate tools/call. It is protected in the SDK's
 * types; this file is the one place that reaches it. Hooks must be installed before the first
 * registration of the kind (registerTool / registerResource installs the handlers).
 */
import type { JSONRPCRequest, McpServer, Result } from '@modelcontextprotocol/server';
import type { ToolExtra } from './progress.ts';

export type Handler = (request: JSONRPCRequest, ctx: ToolExtra) => Promise<Result>;

interface Hookable {
  _wrapHandler: (method: string, handler: Handler) => Handler;
}

/** `wrap(inner)` is what answers `method` from now on; `inner` is the SDK's own (validating) handler. */
export function hookHandler(server: McpServer, method: string, wrap: (inner: Handler) => Handler): void {
  const low = server.server as unknown as Hookable;
  const previous = low._wrapHandler.bind(low);
  low._wrapHandler = (m, handler) => {
    const inner = previous(m, handler);
    return m === method ? wrap(inner) : inner;
  };
}
