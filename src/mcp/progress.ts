/**
 * Progress notifications for long tool calls: only when the client asked (a progressToken in
 * `_meta`), at most one every `minIntervalMs`, and strictly increasing as MCP requires.
 * Progress is the fraction of simulated time (total = 1).
 *
 * They travel as notifications related to the call (`ctx.mcpReq.notify`): over stdio on the one
 * stream, over HTTP on the call's own response stream (the response becomes SSE at the first one).
 */
import type { ServerContext } from '@modelcontextprotocol/server';

export type ToolExtra = ServerContext;

export type ProgressFn = (fraction: number, time: number) => void;

/** Sends one progress notification for the call, if the client asked for them; never throws. */
export function notifyProgress(extra: ToolExtra, progress: number, total: number, message: string): boolean {
  const token = extra.mcpReq._meta?.progressToken;
  if (token === undefined) return false;
  extra.mcpReq
    .notify({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } })
    .catch(() => undefined); // the client may be gone; the run's own signal handles that
  return true;
}

export function progressReporter(extra: ToolExtra, minIntervalMs = 250): ProgressFn | undefined {
  if (extra.mcpReq._meta?.progressToken === undefined) return undefined;
  let last = -1;
  let lastAt = 0;
  return (fraction, time) => {
    const now = Date.now();
    const f = Math.min(1, Math.max(0, fraction));
    // The final 1.0 always goes out; anything else is rate-limited.
    if (f <= last || (f < 1 && now - lastAt < minIntervalMs)) return;
    last = f;
    lastAt = now;
    notifyProgress(extra, f, 1, `simulated up to t = ${time.toPrecision(6)} s`);
  };
}
