/**
 * Per-call phase timestamps of a simulate request (bench/warm.ts prints them as a table).
 * Off by default: with FMU_GATEWAY_PHASES=1 (config.pool.phaseTimings) each face that serves simulate (MCP tool, REST route)
 * starts a clock when its handler is entered, the service and the runner mark the end of each
 * phase, and the face writes one line `fmu-gateway phases {"phase":ms,…}` on stderr after the
 * answer is built. Disabled, a call pays one property read per mark.
 */
import { performance } from 'node:perf_hooks';

/** Marks the end of a phase: the time since the previous mark is booked under `phase`. */
export interface PhaseClock {
  mark(phase: string): void;
  /** Books a duration measured elsewhere (the worker's own engine time) without moving the clock. */
  note(phase: string, ms: number): void;
}

export const PHASE_LINE_PREFIX = 'fmu-gateway phases ';

export interface RecordingPhaseClock extends PhaseClock {
  /**
   * Milliseconds per phase, in the order first marked, plus `total` (entry → last mark) and
   * `main thread busy` (event-loop active time from the start to this call; with one call at a
   * time, that call's main-thread cost) and `process cpu` (this process's CPU time over the same
   * span, all threads).
   */
  result(): Record<string, number>;
}

export function startPhaseClock(): RecordingPhaseClock {
  const t0 = performance.now();
  // The event loop's busy time over the call (idle = waiting in epoll for the worker, the disk, the
  // network): for calls made one at a time, the main-thread time this call cost, which is what
  // /health and every other request wait behind (issue 18).
  const elu0 = performance.eventLoopUtilization();
  // CPU time of this process (all its threads; a sandboxed worker is another process): unlike the
  // busy time, it does not grow when a loaded machine preempts the thread.
  const cpu0 = process.cpuUsage();
  let last = t0;
  const booked = new Map<string, number>();
  const book = (phase: string, ms: number): void => {
    booked.set(phase, (booked.get(phase) ?? 0) + ms);
  };
  return {
    mark(phase) {
      const now = performance.now();
      book(phase, now - last);
      last = now;
    },
    note: book,
    result() {
      const out: Record<string, number> = {};
      for (const [k, v] of booked) out[k] = Math.round(v * 1000) / 1000;
      out.total = Math.round((last - t0) * 1000) / 1000;
      out['main thread busy'] = Math.round(performance.eventLoopUtilization(elu0).active * 1000) / 1000;
      const cpu = process.cpuUsage(cpu0);
      out['process cpu'] = Math.round(cpu.user + cpu.system) / 1000;
      return out;
    },
  };
}

/** A clock when FMU_GATEWAY_PHASES=1 (config.pool.phaseTimings), else undefined (nothing is measured). */
export function phaseClockIfEnabled(config: { pool: { phaseTimings?: boolean } }): RecordingPhaseClock | undefined {
  return config.pool.phaseTimings === true ? startPhaseClock() : undefined;
}

/** Writes the clock's line on stderr (stdout may be the MCP stdio transport). */
export function emitPhases(clock: RecordingPhaseClock | undefined, face: string): void {
  if (clock === undefined) return;
  process.stderr.write(`${PHASE_LINE_PREFIX}${JSON.stringify({ face, ...clock.result() })}\n`);
}
