/**
 * The stdio face: stdout carries nothing but JSON-RPC. Anything else that would print there
 * (console.log in a dependency, a stray process.stdout.write) is redirected to stderr, and only
 * the transport keeps a handle on the real stdout.
 */
import type { Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

let guarded: Writable | undefined;

/** Redirects every other stdout writer to stderr; returns the stream only the protocol may use. Idempotent. */
export function guardStdout(): Writable {
  if (guarded !== undefined) return guarded;
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout);
  const toStderr = process.stderr.write.bind(process.stderr);
  // The transport only calls write() and once('drain'); events stay on the real stdout. The cast
  // is safe for that use and keeps the SDK's constructor signature.
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
 * Connects `server` to stdin/stdout and resolves when the client closes stdin, once the requests
 * already received have been answered (a scripted client may write its requests and close stdin
 * at once), after the server has been closed.
 */
export async function serveStdio(server: McpServer): Promise<void> {
  const out = guardStdout();
  const transport = new StdioServerTransport(process.stdin, out);
  await server.connect(transport);

  // Count requests in and responses out, by wrapping what connect() installed.
  let pending = 0;
  let inputEnded = false;
  let finish: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (finish = resolve));
  const maybeClose = (): void => {
    if (inputEnded && pending === 0) void server.close().finally(finish);
  };
  const onmessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) pending++;
    onmessage?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    await send(message);
    if (('result' in message || 'error' in message) && 'id' in message) {
      pending = Math.max(0, pending - 1);
      maybeClose();
    }
  };
  const onclose = transport.onclose;
  transport.onclose = () => {
    onclose?.();
    finish();
  };
  const ended = (): void => {
    inputEnded = true;
    maybeClose();
  };
  process.stdin.once('end', ended);
  process.stdin.once('close', ended);
  await closed;
}
