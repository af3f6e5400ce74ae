/**
 * Entry point of a worker process (started by the pool, normally inside the bubblewrap sandbox).
 * Runs one job at a time; talks to the parent only over the IPC channel. Everything the FMU does
 * (crash, hang, allocate) stays in this process, which the parent kills when limits are hit.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { GatewayError, toGatewayError } from '../errors.ts';
import { killWhenParentDies } from '../fmi/parent-death.ts';
import { closeStrayDescriptors, makeNonDumpable } from '../fmi/process-hardening.ts';
import { installSeccompFilter } from '../fmi/seccomp.ts';
import { CHANNEL_FD, FrameChannel, looseParser } from './channel.ts';
import { runDiagnostic } from './diagnostics.ts';
import { createLogForwarder } from './log-forwarder.ts';
import { markWorkerStartup, startupTraceEnabled } from '../startup-trace.ts';
import type { ParentMessage, WireError, WorkerMessage } from './protocol.ts';
import type { runSimulateJob, withModelDescription } from './simulate-job.ts';
import { WORKER_ANSWERED, WORKER_RECEIVED } from './worker-timings.ts';

markWorkerStartup('node process started', 0);
markWorkerStartup('main module loaded');
// The framed channel to the pool on fd 3 (src/runner/channel.ts). A corrupt frame from the parent
// cannot happen unless the FMU wrote into it: nothing sensible is left to do but stop.
const socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
const channel = new FrameChannel<ParentMessage, WorkerMessage>(
  socket,
  looseParser,
  (m) => void handle(m),
  () => process.exit(70),
);
const send = (m: WorkerMessage): void => channel.send(m);
const tracing = startupTraceEnabled();

type SimulateModule = { runSimulateJob: typeof runSimulateJob; withModelDescription: typeof withModelDescription };
let simulateModule: Promise<SimulateModule> | undefined;
const loadSimulate = (): Promise<SimulateModule> => (simulateModule ??= import('./simulate-job.ts'));

function wireError(e: unknown): WireError {
  if (e instanceof RangeError && /allocation failed|out of memory/i.test(e.message)) {
    return { code: 'SIMULATION_OUT_OF_MEMORY', message: `The worker ran out of memory: ${e.message}` };
  }
  const g = e instanceof GatewayError ? e : toGatewayError(e);
  return g.data === undefined ? { code: g.code, message: g.message } : { code: g.code, message: g.message, data: g.data };
}

/**
 * The FMU log file the pool gave us: each line appended the moment the FMU logs it (in the page
 * cache at once, so a crash right after keeps it), opened and closed around each write so that no
 * descriptor of ours is open while the FMU's own code runs (an FMU writing into every descriptor
 * it finds must find none but the channel).
 */
function logSink(path: string | undefined): ((line: string) => void) | undefined {
  if (path === undefined) return undefined;
  return (line) => {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'a');
      writeSync(fd, `${line}\n`);
    } catch {
      // the file is full or gone: the line is lost, the job goes on
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
}

let busy = false;
async function handle(msg: ParentMessage): Promise<void> {
  if (busy) {
    // The pool never does this; refuse rather than interleave two jobs' state.
    send({ type: 'error', id: msg.id, error: { code: 'INTERNAL', message: 'worker is busy' }, droppedLogBytes: 0 });
    return;
  }
  busy = true;
  const received = performance.timeOrigin + performance.now();
  const { id, job, limits } = msg;
  markWorkerStartup('job received');
  const log = createLogForwarder(limits.maxLogBytes, logSink(msg.logPath) ?? ((line) => send({ type: 'log', id, line })));
  try {
    if (job.kind === 'simulate') {
      const sim = await loadSimulate();
      const timings: Record<string, number> = { [WORKER_RECEIVED]: received };
      const result = sim.runSimulateJob(
        await sim.withModelDescription(job),
        {
          // Only when it changes something (the worker must not be reused) or start-up is traced.
          onLoaded: (onlyOncePerProcess) => {
            if (onlyOncePerProcess || tracing) send({ type: 'loaded', id, onlyOncePerProcess });
          },
          onProgress: (fraction, time) => send({ type: 'progress', id, fraction, time }),
          onLog: log,
          maxLogBytes: limits.maxLogBytes,
        },
        timings,
      );
      markWorkerStartup('job run');
      timings[WORKER_ANSWERED] = performance.timeOrigin + performance.now();
      send({ type: 'result', id, result, droppedLogBytes: log.droppedBytes, timings });
    } else {
      const value = await runDiagnostic(job, log);
      send({ type: 'value', id, value, droppedLogBytes: log.droppedBytes });
    }
  } catch (e) {
    send({ type: 'error', id, error: wireError(e), droppedLogBytes: log.droppedBytes });
  } finally {
    busy = false;
  }
}

/** How much lower than the gateway a worker runs (nice +5: about a third of its CPU share when both want the CPU). */
const WORKER_NICE = 5;

// The parent died or closed the channel: nothing left to do (the sandbox also dies with its parent).
socket.on('close', () => process.exit(0));
// Warm the simulation code (engine, bindings, koffi) before announcing readiness, so the first
// job does not pay for it; a failure here is reported with the first simulate job instead.
// Die with the gateway even while stuck in FMU code (set before the seccomp filter, which would deny nothing here anyway).
const parentGuard = killWhenParentDies();
if (parentGuard !== undefined) process.stderr.write(`fmu-gateway worker: ${parentGuard}\n`);
// Before any FMU code: no descriptor from outside but the channel and stdio (the pool marks its
// own close-on-exec; this closes whatever still came through), and no /proc/<pid>/mem for others.
const closed = closeStrayDescriptors([CHANNEL_FD]);
if (typeof closed === 'string') process.stderr.write(`fmu-gateway worker: ${closed}\n`);
const dumpable = makeNonDumpable();
if (dumpable !== undefined) process.stderr.write(`fmu-gateway worker: ${dumpable}\n`);
// Simulations yield the CPU to the gateway's own event loop (answers, admission, /health): with
// every core busy running jobs, the process that feeds them and answers must not queue behind
// them. A lower priority (nice) any process may give itself; the threads started from here on
// (libuv's pool, the FMU's) inherit it. The workers still take every cycle the gateway leaves.
try {
  setPriority(WORKER_NICE);
} catch {
  // not permitted here (an unusual platform): run at the normal priority
}
// The seccomp filter goes in first: before any FMU library is opened (its constructors run at dlopen).
// eslint-disable-next-line no-restricted-properties -- set by runner/sandbox.ts for this worker, not configuration
const seccomp = process.env.FMU_GATEWAY_SECCOMP === '1' ? installFilter() : undefined;
// libuv starts its whole thread pool on first use: start it now, so the pool's count of the idle
// worker's threads includes it and a thread more after a job can only be the FMU's.
const warmThreadPool = (): Promise<unknown> => stat('/').catch(() => undefined);
const announce = (): void => {
  markWorkerStartup('ready');
  send({ type: 'ready', pid: process.pid, ...(seccomp ? { seccomp } : {}) });
};
markWorkerStartup('hardened (seccomp filter in)');
loadSimulate()
  .then(() => markWorkerStartup('simulation code loaded (engine, koffi)'))
  .then(warmThreadPool, warmThreadPool)
  .then(announce, announce);

function installFilter(): { installed: boolean; detail: string } {
  const r = installSeccompFilter();
  return r.installed ? { installed: true, detail: `denied: ${r.denied.join(', ')}` } : { installed: false, detail: r.reason };
}
