/**
 * Worker side: forwards FMU log lines to the parent as they come, so they survive a crash.
 * Up to maxBytes at full rate; beyond that a trickle of one line per interval (the newest
 * lines matter most when the FMU dies) and the rest is only counted.
 */
export interface LogForwarder {
  (line: string): void;
  readonly droppedBytes: number;
}

export function createLogForwarder(
  maxBytes: number,
  send: (line: string) => void,
  trickleIntervalMs = 100,
  now: () => number = Date.now,
): LogForwarder {
  let sent = 0;
  let dropped = 0;
  let lastTrickle = 0;
  const forward = ((line: string): void => {
    const bytes = Buffer.byteLength(line) + 1;
    if (sent + bytes <= maxBytes) {
      sent += bytes;
      send(line);
      return;
    }
    const t = now();
    if (t - lastTrickle >= trickleIntervalMs) {
      lastTrickle = t;
      // A single line longer than the whole budget is cut, never sent whole.
      send(bytes > maxBytes ? `${line.slice(0, Math.max(0, maxBytes - 20))} …[cut]` : line);
      return;
    }
    dropped += bytes;
  }) as LogForwarder;
  Object.defineProperty(forward, 'droppedBytes', { get: () => dropped });
  return forward;
}
