/**
 * The stdio face: stdout carries nothing but JSON-RPC. Anything else that would print there
 * (console.log in a dependency, a stray process.stdout.write) is redirected to stderr, and only
 * the transport keeps a handle on the real stdout.
 *
 * The SDK's `serveStdio` decides the protocol era from the client's first message: a 2025-era
 * client (`initialize`, 2025-06-18 / 2025-11-25) gets a server pinned to that handshake; a
 * 2026-07-28 client (per-request `_meta` envelope, `server/discover`) the stateless one. Both come
 * from the same factory, so both see the same tools.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio as sdkServeStdio } from '@modelcontextprotocol/server/stdio';
import type { EarlyFront } from './stdio-early.ts';
import { guardStdout } from './stdio-guard.ts';
import { STDIO_MAX_LINE_BYTES } from './stdio-early.ts';
import { LineTransport } from './stdio-transport.ts';

export { guardStdout } from './stdio-guard.ts';

export { STDIO_MAX_LINE_BYTES } from './stdio-early.ts';

export interface ServeStdioOptions {
  maxLineBytes?: number;
  log?: (line: string) => void;
  /**
   * The wire, already reading stdin since start-up (stdio-early.ts: it may have answered the
   * handshake itself); without it a new LineTransport on stdin.
   */
  front?: EarlyFront;
}

/**
 * Serves `createServer()` on stdin/stdout and resolves when the client closes stdin, once the
 * requests already received have been answered (a scripted client may write its requests and
 * close stdin at once).
 */
export async function serveStdio(createServer: () => McpServer, opts: ServeStdioOptions = {}): Promise<void> {
  const transport = opts.front ?? new LineTransport(process.stdin, guardStdout(), opts.maxLineBytes ?? STDIO_MAX_LINE_BYTES);
  const handle = sdkServeStdio(() => createServer(), {
    transport,
    onerror: (e) => opts.log?.(`mcp stdio: ${e.message}`),
  });
  await transport.done;
  await handle.close().catch(() => undefined);
}
