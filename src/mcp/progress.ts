/**
 * Progress notifications for long tool calls: only when the client asked (a progressToken in
 * `_meta`), at most one every `minIntervalMs`, and strictly increasing as MCP requires.
 * Progress is the fraction of simulated time (total = 1).
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export type ProgressFn = (fraction: number, time: number) => void;

export function progressReporter(extra: ToolExtra, minIntervalMs = 250): ProgressFn | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let last = -1;
  let lastAt = 0;
  return (fraction, time) => {
    const now = Date.now();
    const f = Math.min(1, Math.max(0, fraction));
    // The final 1.0 always goes out; anything else is rate-limited.
    if (f <= last || (f < 1 && now - lastAt < minIntervalMs)) return;
    last = f;
    lastAt = now;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: f, total: 1, message: `simulated up to t = ${time.toPrecision(6)} s` },
      })
      .catch(() => undefined); // the client may be gone; the run's own signal handles that
  };
}
