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
import type { Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio as sdkServeStdio } from '@modelcontextprotocol/server/stdio';
import { LineTransport } from './stdio-transport.ts';

let guarded: Writable | undefined;

/** Redirects every other stdout writer to stderr; returns the stream only the protocol may use. Idempotent. */
export function guardStdout(): Writable {
  if (guarded !== undefined) return guarded;
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout);
  const toStderr = process.stderr.write.bind(process.stderr);
  // The transport only calls write() and once('drain'); events stay on the real stdout.
  const protocol = {
    write: realWrite,
    once: (event: string, fn: (...a: unknown[]) => void) => stdout.once(event, fn),
    on: (event: string, fn: (...a: unknown[]) => void) => stdout.on(event, fn),
    off: (event: string, fn: (...a: unknown[]) => void) => stdout.off(event, fn),
  } as unknown as Writable;
  stdout.write = toStderr as typeof stdout.write;
  for (const level of ['log', 'info', 'debug'] as const) {
    // eslint-disable-next-line no-console -- this is the guard: it reroutes these methods to stderr
    console[level] = (...args: unknown[]) => console.error(...args);
  }
  guarded = protocol;
  return protocol;
}

/**
 * Largest JSON-RPC message on one stdin line. A local client uploads big FMUs by path, so this
 * only has to carry requests with inline data (input signals, small base64 uploads).
 */
export const STDIO_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ServeStdioOptions {
  maxLineBytes?: number;
  log?: (line: string) => void;
}

/**
 * Serves `createServer()` on stdin/stdout and resolves when the client closes stdin, once the
 * requests already received have been answered (a scripted client may write its requests and
 * close stdin at once).
 */
export async function serveStdio(createServer: () => McpServer, opts: ServeStdioOptions = {}): Promise<void> {
  const out = guardStdout();
  const transport = new LineTransport(process.stdin, out, opts.maxLineBytes ?? STDIO_MAX_LINE_BYTES);
  const handle = sdkServeStdio(() => createServer(), {
    transport,
    onerror: (e) => opts.log?.(`mcp stdio: ${e.message}`),
  });
  await transport.done;
  await handle.close().catch(() => undefined);
}
