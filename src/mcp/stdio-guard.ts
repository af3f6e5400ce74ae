/**
 * The stdout guard of the stdio face, apart from the SDK (stdio.ts) so that `fmu-gateway mcp`
 * installs it, and answers its first messages (stdio-early.ts), before the SDK is loaded.
 */
import type { Writable } from 'node:stream';

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
