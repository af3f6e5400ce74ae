/**
 * Turns how a worker died into a coded error. Out of memory only on evidence:
 *  - the worker's memory cgroup counted an OOM kill, or the pool killed it past its limit
 *    (`memoryKilled`, see memory-limit.ts);
 *  - the worker's stderr says so (V8 "heap out of memory", std::bad_alloc, ENOMEM);
 *  - a SIGSEGV/SIGABRT/SIGBUS while the data size was ≥ 75 % of RLIMIT_DATA: with the limit in
 *    place malloc returns NULL, and FMUs rarely check it (NULL write → SIGSEGV, abort).
 * A SIGKILL without such evidence is not memory: an FMU can raise(SIGKILL) itself. Anything else
 * that ends by a signal is FMU_CRASHED with the signal and the last log lines.
 */
import { constants } from 'node:os';
import { GatewayError } from '../errors.ts';

export interface WorkerDeath {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** bwrap reports a child killed by signal N as exit code 128 + N. */
  sandboxed: boolean;
  peakDataBytes: number;
  /** Peak of all its memory (cgroup figure or sampled resident anonymous + shared). */
  peakMemoryBytes?: number;
  memoryLimitBytes: number;
  /** The cgroup counted an OOM kill, or the pool killed the worker past its limit. */
  memoryKilled?: boolean;
  stderrTail: string;
  lastLogLines: string[];
}

const OOM_TEXT = /out of memory|bad_alloc|cannot allocate memory|allocation failed|ENOMEM/i;
const MEMORY_SIGNALS = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS']);

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name as NodeJS.Signals;
  return null;
}

export function effectiveSignal(d: Pick<WorkerDeath, 'code' | 'signal' | 'sandboxed'>): NodeJS.Signals | null {
  if (d.signal !== null) return d.signal;
  if (d.sandboxed && d.code !== null && d.code > 128 && d.code < 128 + 65) return signalName(d.code - 128);
  return null;
}

export function classifyDeath(d: WorkerDeath): GatewayError {
  const signal = effectiveSignal(d);
  const data = {
    signal,
    exit_code: signal === null ? d.code : null,
    peak_data_mb: Math.round(d.peakDataBytes / 1048576),
    ...(d.peakMemoryBytes !== undefined ? { peak_memory_mb: Math.round(d.peakMemoryBytes / 1048576) } : {}),
    memory_limit_mb: Math.round(d.memoryLimitBytes / 1048576),
    last_log_lines: d.lastLogLines,
  };
  const nearLimit = d.peakDataBytes >= 0.75 * d.memoryLimitBytes;
  if (d.memoryKilled === true || OOM_TEXT.test(d.stderrTail) || (signal !== null && MEMORY_SIGNALS.has(signal) && nearLimit)) {
    return new GatewayError(
      'SIMULATION_OUT_OF_MEMORY',
      `The simulation exceeded its memory limit of ${data.memory_limit_mb} MiB (worker ended by ${signal ?? `exit ${d.code}`}). ` +
        'Reduce the output (fewer outputs, larger step) or raise SIM_MEMORY_MB.',
      data,
    );
  }
  if (signal === 'SIGXFSZ') {
    return new GatewayError('FMU_CRASHED', 'The FMU wrote a file larger than the per-job file size limit and was stopped.', data);
  }
  const tail = d.lastLogLines.length > 0 ? ` Last FMU log lines: ${d.lastLogLines.slice(-5).join(' | ')}` : '';
  if (signal !== null) {
    return new GatewayError('FMU_CRASHED', `The FMU crashed the simulation worker (signal ${signal}).${tail}`, data);
  }
  return new GatewayError(
    'FMU_CRASHED',
    `The simulation worker exited unexpectedly (exit code ${d.code}); the FMU may have called exit().${tail}`,
    data,
  );
}
