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
