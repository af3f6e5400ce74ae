/**
 * Start-up phase marks (FMU_GATEWAY_TRACE_STARTUP=1): one stderr line per phase,
 * `fmu-gateway startup: <ms since process start> <phase>`, which bench/startup.ts parses into its
 * per-phase table. Off (the default) it costs one boolean test per mark. The time is
 * performance.now(): milliseconds since the process started (node's time origin).
 */
// eslint-disable-next-line no-restricted-properties -- a diagnostic switch read once at load, before config exists (it times config too)
const enabled = process.env.FMU_GATEWAY_TRACE_STARTUP === '1';

export const STARTUP_TRACE_PREFIX = 'fmu-gateway startup: ';

export function startupTraceEnabled(): boolean {
  return enabled;
}

export function markStartup(phase: string): void {
  if (enabled) process.stderr.write(`${STARTUP_TRACE_PREFIX}${performance.now().toFixed(1)} ${phase}\n`);
}

/** A worker's marks carry the absolute time (its clock origin differs): the pool relays them. */
const WORKER_PREFIX = 'fmu-gateway worker startup: ';

/** In a worker process: a mark the pool puts on the gateway's timeline (relayWorkerMark). */
export function markWorkerStartup(phase: string, at: number = performance.now()): void {
  if (enabled) process.stderr.write(`${WORKER_PREFIX}${(performance.timeOrigin + at).toFixed(1)} ${phase}\n`);
}

/** In the gateway: a worker's stderr line that is a mark → our own stderr, on our timeline. True when it was one. */
export function relayWorkerMark(line: string): boolean {
  if (!enabled || !line.startsWith(WORKER_PREFIX)) return false;
  const m = /^(\d+(?:\.\d+)?) (.{1,200})$/.exec(line.slice(WORKER_PREFIX.length));
  if (m === null) return false;
  // The phase text is the worker's own fixed wording; only printable ASCII passes (an FMU may write here too).
  const phase = (m[2] as string).replace(/[^\x20-\x7e]/g, '?');
  process.stderr.write(`${STARTUP_TRACE_PREFIX}${(Number(m[1]) - performance.timeOrigin).toFixed(1)} worker: ${phase}\n`);
  return true;
}
