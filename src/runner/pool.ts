/**
 * The worker pool: pre-started worker processes, a bounded FIFO queue, per-job limits
 * (wall clock, memory, log bytes, output rows), progress, cancellation and the reuse rule:
 * a worker that loaded an FMU only ever runs that FMU for that caller, and only for a short
 * while (sweeps); otherwise it is killed and a fresh one started in the background.
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { SimulationResult } from '../engine/types.ts';
import { classifyDeath } from './exit-classify.ts';
import { checkJobLimits } from './limits.ts';
import { createMemoryLimiter } from './memory-limit.ts';
import type { WireSimulationResult, WorkerJob, WorkerMessage } from './protocol.ts';
import { loadResultFile } from './result-load.ts';
import {
  clearOutbox,
  collectJobFile,
  createOutboxRoot,
  createWorkerOutbox,
  prepareJobFile,
  removeOutbox,
  SANDBOX_RESULTS_DIR,
  jobFileName,
} from './result-outbox.ts';
import { findTools, SANDBOX_FMU_DIR, selfTestSandbox } from './sandbox.ts';
import { createStageDir, createStageRoot, removeStage, stageFmu } from './staging.ts';
import type { DiagnosticJob, IsolationReport, PoolStats, RunOptions, SimulationJob, WorkerPool, WorkerPoolOptions } from './types.ts';
import { WorkerProcess } from './worker-process.ts';

interface Entry {
  job: SimulationJob | DiagnosticJob;
  opts: RunOptions;
  /** FMU + caller, for the reuse rule; undefined for diagnostics (always a fresh worker). */
  key: string | undefined;
  resolve: (v: unknown) => void;
  reject: (e: GatewayError) => void;
  settled: boolean;
  worker?: WorkerProcess;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

/** How long a worker bound to an FMU waits for another job of that FMU and caller. */
const REUSE_IDLE_MS = 1500;
const MAX_START_FAILURES = 3;

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const queueLength = options.queueLength ?? 64;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxOutputRows = options.maxOutputRows ?? 1_000_000;
  const maxLogBytes = options.maxLogBytes ?? 64 * 1024;
  const reuseIdleMs = options.reuseIdleMs ?? REUSE_IDLE_MS;
  const mode = options.sandbox ?? 'auto';

  const isolation: IsolationReport =
    mode === 'off'
      ? { level: 'process-only', features: ['separate-process', 'minimal-environment'], missing: ['sandbox: disabled by configuration'] }
      : selfTestSandbox({ memoryMb: options.memoryMb ?? 1024, tools: options.sandboxTools ?? findTools() });
  if (mode === 'required' && isolation.level !== 'sandboxed') {
    throw new GatewayError(
      'SANDBOX_UNAVAILABLE',
      `A sandbox is required but not available: ${isolation.missing.join('; ')}. ${
        // Only a missing bwrap is fixed by installing it; otherwise the reason above says what failed.
        isolation.missing.some((m) => m.startsWith('bwrap: not installed')) ? 'Install bubblewrap' : 'Fix the cause above'
      } or start with --allow-unsandboxed.`,
      { missing: isolation.missing },
    );
  }
  const sandboxed = isolation.level === 'sandboxed';
  const memoryMb = options.memoryMb ?? 1024;
  const memory = createMemoryLimiter(options.memoryLimit === 'rlimit-as' ? 'rlimit-as' : undefined);
  isolation.memory = { mechanism: memory.report.mechanism, limit_mb: memoryMb, detail: memory.report.detail };
  isolation.features.push(`memory-${memory.report.mechanism}`);
  if (memory.report.mechanism === 'rlimit-as' && options.memoryLimit !== 'rlimit-as') {
    isolation.missing.push(`memory cgroup: ${memory.report.detail}`);
  }
  const settings = {
    sandboxed,
    // Off means off (tests prove the hostile FMUs' behaviours are real); otherwise every worker
    // filters syscalls, which also denies network and exec where bubblewrap is missing.
    seccomp: mode !== 'off',
    tools: options.sandboxTools ?? findTools(),
    memoryMb,
    tmpMb: options.tmpMb ?? 64,
    maxLogBytes,
    memory,
  };
  const stageRoot = sandboxed ? createStageRoot(options.cacheDir) : undefined;
  const outboxRoot = createOutboxRoot(options.resultDir ?? join(options.cacheDir, '.runner'));
  const workers = new Set<WorkerProcess>();
  const inFlight = new Map<WorkerProcess, Entry>();
  const mapped = new Map<WorkerProcess, { unpackedDir: string; binaryPath?: string }>();
  const lingerTimers = new Map<WorkerProcess, NodeJS.Timeout>();
  const queue: Entry[] = [];
  let busy = 0;
  let jobIds = 0;
  let workerIds = 0;
  let startFailures = 0;
  let startError = new GatewayError('WORKER_START_FAILED', 'The worker did not start');
  let closed = false;

  const isFresh = (w: WorkerProcess): boolean => w.binding === undefined && !w.spent && w.state !== 'dead';

  /** The first worker's report puts the seccomp filter in the isolation report (features or missing). */
  let seccompNoted = false;
  function noteSeccomp(w: WorkerProcess): void {
    if (seccompNoted || w.seccomp === undefined) return;
    seccompNoted = true;
    if (w.seccomp.installed) isolation.features.push('seccomp-filter');
    else isolation.missing.push(w.seccomp.detail);
  }

  function spawnWorker(): void {
    const name = `w${++workerIds}`;
    const stageDir = stageRoot === undefined ? undefined : createStageDir(stageRoot, name);
    let w: WorkerProcess;
    try {
      w = new WorkerProcess(settings, stageDir, createWorkerOutbox(outboxRoot, name));
    } catch (e) {
      // Nothing to start (an installed package without its worker bundle or koffi): no retry helps.
      startFailures = MAX_START_FAILURES;
      startError = e instanceof GatewayError ? e : new GatewayError('WORKER_START_FAILED', String(e));
      failQueue();
      return;
    }
    workers.add(w);
    w.onExit = () => onWorkerExit(w);
    // The FMU wrote into the worker's channel: that worker's answers can no longer be trusted.
    w.onCorrupt = (reason) => {
      const entry = inFlight.get(w);
      if (entry === undefined || entry.settled) return;
      finish(
        w,
        entry,
        new GatewayError('FMU_CRASHED', `The FMU corrupted its worker's channel to the gateway (${reason}); the worker was stopped.`, {
          last_log_lines: w.log.tail(10),
        }),
      );
    };
    w.onMemoryExceeded = () => {
      const entry = inFlight.get(w);
      w.kill('memory');
      if (entry === undefined || entry.settled) return;
      finish(w, entry, deathError(w, null));
    };
    w.ready.then(
      () => {
        noteSeccomp(w);
        startFailures = 0;
        pump();
      },
      (e: Error) => {
        startFailures++;
        startError = e instanceof GatewayError ? e : new GatewayError('WORKER_START_FAILED', e.message);
        if (startFailures >= MAX_START_FAILURES) failQueue();
      },
    );
  }

  const isLingering = (w: WorkerProcess): boolean => w.binding !== undefined && !w.spent && w.state === 'idle';

  /**
   * Keep a ready worker for every slot that is not busy. A worker lingering for more jobs of its
   * FMU counts as ready: spawning fresh ones beside it during a sweep would steal ~100 ms of CPU
   * per cold start from the running jobs. A job for another FMU retires a lingering worker
   * (see pump), and its replacement starts then.
   */
  function ensureWarm(): void {
    if (closed || startFailures >= MAX_START_FAILURES) return;
    let ready = 0;
    for (const w of workers) if (isFresh(w) || isLingering(w)) ready++;
    for (let n = ready; n < size - busy; n++) spawnWorker();
  }

  /** Frees a slot for a job no ready worker can take: retires the longest-lingering worker. */
  function retireOneLingering(): boolean {
    for (const w of workers) {
      if (isLingering(w)) {
        retire(w, 'make room');
        return true;
      }
    }
    return false;
  }

  function failQueue(): void {
    const err = startError;
    for (const e of queue.splice(0)) settle(e, err);
  }

  function retire(w: WorkerProcess, reason: string): void {
    const t = lingerTimers.get(w);
    if (t !== undefined) clearTimeout(t);
    lingerTimers.delete(w);
    w.spent = true;
    w.kill(reason);
  }

  /** How a worker's end reads, with the memory evidence (the cgroup's OOM kills, our own kill). */
  function deathError(w: WorkerProcess, exit: { code: number | null; signal: NodeJS.Signals | null } | null): GatewayError {
    return classifyDeath({
      // exit null: we are killing it for memory now (SIGKILL), before its exit is known.
      code: exit === null ? null : exit.code,
      signal: exit === null ? 'SIGKILL' : exit.signal,
      sandboxed,
      peakDataBytes: w.peakDataBytes,
      peakMemoryBytes: w.memoryPeak(),
      memoryLimitBytes: settings.memoryMb * 1024 * 1024,
      memoryKilled: exit === null || w.killReason === 'memory' || w.oomKilled(),
      stderrTail: w.stderrTail,
      lastLogLines: w.log.tail(20),
    });
  }

  function onWorkerExit(w: WorkerProcess): void {
    workers.delete(w);
    mapped.delete(w);
    const t = lingerTimers.get(w);
    if (t !== undefined) clearTimeout(t);
    lingerTimers.delete(w);
    if (w.stageDir !== undefined) removeStage(w.stageDir);
    removeOutbox(w.outboxDir);
    const entry = inFlight.get(w);
    if (entry !== undefined && !entry.settled) {
      finish(w, entry, deathError(w, { code: w.child.exitCode, signal: w.child.signalCode }));
    }
    w.memoryGroup?.remove();
    // Dispatch first: a queued job of the same FMU takes the worker just freed, and only the
    // slots still free afterwards get a fresh worker (a cold start costs ~100 ms of CPU).
    pump();
    ensureWarm();
  }

  function settle(entry: Entry, outcome: GatewayError | { ok: unknown }): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    if (entry.onAbort !== undefined) entry.opts.signal?.removeEventListener('abort', entry.onAbort);
    if (outcome instanceof GatewayError) entry.reject(outcome);
    else entry.resolve(outcome.ok);
  }

  /** A job ends: free its slot, keep the worker for reuse only after a clean success. */
  function finish(w: WorkerProcess, entry: Entry, outcome: GatewayError | { ok: unknown }): void {
    if (entry.settled) return;
    inFlight.delete(w);
    w.onMessage = undefined;
    w.stopSampling();
    busy--;
    clearOutbox(w.outboxDir);
    // A worker whose FMU left processes or threads behind is not reused: they must not outlive
    // the job (a ghost thread would run beside the next job's instance and see its data).
    const leftovers = w.state !== 'dead' && w.leftSomethingRunning();
    if (outcome instanceof GatewayError || w.spent || w.binding === undefined || closed || leftovers) {
      retire(w, outcome instanceof GatewayError ? outcome.code : 'spent');
    } else if (w.state !== 'dead') {
      w.state = 'idle';
      const t = setTimeout(() => retire(w, 'idle'), reuseIdleMs);
      t.unref();
      lingerTimers.set(w, t);
    }
    settle(entry, outcome);
    // Dispatch first: a queued job of the same FMU takes the worker just freed, and only the
    // slots still free afterwards get a fresh worker (a cold start costs ~100 ms of CPU).
    pump();
    ensureWarm();
  }

  function dispatch(w: WorkerProcess, entry: Entry): void {
    const t = lingerTimers.get(w);
    if (t !== undefined) clearTimeout(t);
    lingerTimers.delete(w);
    const reused = w.binding !== undefined;
    w.state = 'busy';
    busy++;
    inFlight.set(w, entry);
    entry.worker = w;
    let job: WorkerJob;
    try {
      job = toWorkerJob(w, entry);
    } catch (e) {
      finish(
        w,
        entry,
        e instanceof GatewayError ? e : new GatewayError('FMU_LOAD_FAILED', `Cannot stage the FMU for the worker: ${String(e)}`),
      );
      return;
    }
    const id = ++jobIds;
    if (job.kind === 'simulate') {
      try {
        const hostPath = prepareJobFile(w.outboxDir, id, w.hostUid);
        job.resultPath = sandboxed ? `${SANDBOX_RESULTS_DIR}/${jobFileName(id)}` : hostPath;
      } catch (e) {
        finish(w, entry, new GatewayError('INTERNAL', `Cannot create the result file for the worker: ${String(e)}`));
        return;
      }
    }
    entry.opts.onDispatch?.({ workerPid: w.pid, reused });
    w.log.clear();
    w.onMessage = (m) => onMessage(w, entry, id, m);
    entry.timer = setTimeout(() => {
      w.kill('timeout');
      finish(
        w,
        entry,
        new GatewayError(
          'SIMULATION_TIMEOUT',
          `The simulation did not finish within ${timeoutMs / 1000} s and was stopped. Shorten the run or raise SIM_TIMEOUT_SECONDS.`,
          {
            timeout_ms: timeoutMs,
            last_log_lines: w.log.tail(10),
          },
        ),
      );
    }, timeoutMs);
    w.startSampling();
    w.send({ type: 'run', id, job, limits: { maxLogBytes } });
  }

  function toWorkerJob(w: WorkerProcess, entry: Entry): WorkerJob {
    if ('kind' in entry.job) {
      w.spent = true;
      return entry.job;
    }
    const job = entry.job;
    if (w.binding === undefined) {
      const [sha256, callerId] = JSON.parse(entry.key as string) as [string, string | null];
      w.binding = { sha256, callerId };
      mapped.set(w, w.stageDir === undefined ? job.fmu : stageFmu(w.stageDir, SANDBOX_FMU_DIR, job.fmu));
    }
    const paths = mapped.get(w) ?? job.fmu;
    const fmu = { ...job.fmu, unpackedDir: paths.unpackedDir };
    if (paths.binaryPath === undefined) delete fmu.binaryPath;
    else fmu.binaryPath = paths.binaryPath;
    // resultPath is filled in by dispatch once the job has its id.
    const out: WorkerJob = { kind: 'simulate', fmu, options: job.options, progressIntervalMs: 250, resultPath: '' };
    if (job.digest !== undefined) out.digest = job.digest;
    return out;
  }

  /** A schema-valid message that still breaks the protocol (wrong job, wrong kind of answer): the FMU forged it. */
  function protocolViolation(w: WorkerProcess, entry: Entry, what: string): void {
    w.kill('protocol violation');
    finish(
      w,
      entry,
      new GatewayError('FMU_CRASHED', `The FMU corrupted its worker's channel to the gateway (${what}); the worker was stopped.`, {
        last_log_lines: w.log.tail(10),
      }),
    );
  }

  function onMessage(w: WorkerProcess, entry: Entry, id: number, m: WorkerMessage): void {
    if (m.type === 'ready') return protocolViolation(w, entry, "a second 'ready' message");
    if (m.id !== id) return protocolViolation(w, entry, `a message for job ${m.id} during job ${id}`);
    const isDiagnostic = 'kind' in entry.job;
    switch (m.type) {
      case 'log':
        w.log.push(m.line);
        break;
      case 'progress':
        entry.opts.onProgress?.(Math.min(1, Math.max(0, m.fraction)), m.time);
        break;
      case 'loaded':
        if (m.onlyOncePerProcess) w.spent = true;
        break;
      case 'result':
        if (isDiagnostic) return protocolViolation(w, entry, 'a simulation result for a diagnostic');
        // Later messages of this job are ignored while its file is read.
        w.onMessage = undefined;
        void collectResult(w, entry, id, m.result);
        break;
      case 'value':
        if (!isDiagnostic) return protocolViolation(w, entry, 'a diagnostic value for a simulation');
        finish(w, entry, { ok: m.value });
        break;
      case 'error':
        finish(w, entry, new GatewayError(m.error.code, m.error.message, m.error.data));
        break;
    }
  }

  /**
   * The worker said its rows are written: take the file out of its reach, check and load it
   * (asynchronously, one read per column), and settle the job. A damaged file means the FMU
   * wrote where it should not: the job fails like a crash, the worker is not reused.
   */
  async function collectResult(w: WorkerProcess, entry: Entry, id: number, wire: WireSimulationResult): Promise<void> {
    let path: string | undefined;
    try {
      path = collectJobFile(outboxRoot, w.outboxDir, id, w.hostUid);
      const { resultFileBytes, ...meta } = wire;
      const inFile = entry.opts.rowsInFile === true && meta.digest !== undefined;
      const loaded = await loadResultFile(path, resultFileBytes, meta.rows, { values: !inFile });
      const result: SimulationResult = { ...meta, ...loaded };
      if (inFile && !entry.settled) result.resultFile = path;
      else rmSync(path, { force: true });
      finish(w, entry, { ok: result });
    } catch (e) {
      if (path !== undefined) rmSync(path, { force: true });
      const g = e instanceof GatewayError ? e : new GatewayError('INTERNAL', String(e));
      finish(
        w,
        entry,
        g.code === 'RESULT_CORRUPT' || g.code === 'NOT_FOUND'
          ? new GatewayError('FMU_CRASHED', `The worker's result file is unusable (${g.message}); the worker was stopped.`, {
              last_log_lines: w.log.tail(10),
            })
          : g,
      );
    }
  }

  /** Workers are unref'd (an idle pool must not keep the process alive); pending work must. */
  let keepAlive: NodeJS.Timeout | undefined;
  function updateKeepAlive(): void {
    const pending = queue.length > 0 || busy > 0;
    if (pending && keepAlive === undefined) keepAlive = setInterval(() => undefined, 1 << 30);
    if (!pending && keepAlive !== undefined) {
      clearInterval(keepAlive);
      keepAlive = undefined;
    }
  }

  function pump(): void {
    updateKeepAlive();
    if (closed) return;
    for (let i = 0; i < queue.length && busy < size;) {
      const entry = queue[i] as Entry;
      let chosen: WorkerProcess | undefined;
      for (const w of workers) {
        if (w.state !== 'idle' || w.spent) continue;
        if (entry.key !== undefined && w.binding !== undefined && JSON.stringify([w.binding.sha256, w.binding.callerId]) === entry.key) {
          chosen = w;
          break;
        }
        if (chosen === undefined && w.binding === undefined) chosen = w;
      }
      if (chosen === undefined) {
        // No worker can take it: unless a fresh one is already starting, make room for one.
        let starting = 0;
        for (const w of workers) if (w.state === 'starting') starting++;
        if (starting === 0 && busy < size) retireOneLingering();
        i++;
        continue;
      }
      queue.splice(i, 1);
      dispatch(chosen, entry);
    }
    updateKeepAlive();
  }

  function submit(job: SimulationJob | DiagnosticJob, opts: RunOptions): Promise<unknown> {
    if (closed) return Promise.reject(new GatewayError('CANCELLED', 'The worker pool is closed.'));
    if (opts.signal?.aborted) return Promise.reject(new GatewayError('CANCELLED', 'The simulation was cancelled before it started.'));
    let key: string | undefined;
    if (!('kind' in job)) {
      try {
        checkJobLimits(job, maxOutputRows);
      } catch (e) {
        return Promise.reject(e);
      }
      // null for anonymous callers: no caller id (not even the string "anonymous") shares with them.
      key = JSON.stringify([job.fmu.sha256, opts.callerId ?? null]);
    }
    // Jobs waiting only for a starting worker hold a slot, not a queue place: capacity is size + queueLength.
    if (queue.length >= queueLength + Math.max(0, size - busy)) {
      return Promise.reject(
        new GatewayError('QUEUE_FULL', `${queue.length} simulations are already waiting (limit ${queueLength}); retry later.`, {
          queue_length: queueLength,
        }),
      );
    }
    if (startFailures >= MAX_START_FAILURES) {
      return Promise.reject(startError);
    }
    return new Promise((resolve, reject) => {
      const entry: Entry = { job, opts, key, resolve, reject, settled: false };
      entry.onAbort = () => {
        const w = entry.worker;
        if (w === undefined) {
          queue.splice(queue.indexOf(entry), 1);
          settle(entry, new GatewayError('CANCELLED', 'The simulation was cancelled while waiting for a worker.'));
          updateKeepAlive();
        } else {
          w.kill('cancel');
          finish(w, entry, new GatewayError('CANCELLED', 'The simulation was cancelled while running; its worker was stopped.'));
        }
      };
      opts.signal?.addEventListener('abort', entry.onAbort, { once: true });
      queue.push(entry);
      pump();
      ensureWarm();
    });
  }

  ensureWarm();

  return {
    isolation,
    run: (job, opts = {}) => submit(job, opts) as Promise<SimulationResult>,
    runDiagnostic: (job, opts = {}) => submit(job, opts),
    stats(): PoolStats {
      let idle = 0;
      let starting = 0;
      for (const w of workers) {
        if (w.state === 'idle') idle++;
        else if (w.state === 'starting') starting++;
      }
      return { size, idle, busy, starting, queued: queue.length, pids: [...workers].map((w) => w.pid) };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const e of queue.splice(0)) settle(e, new GatewayError('CANCELLED', 'The worker pool was closed.'));
      updateKeepAlive();
      const all = [...workers];
      for (const w of all) {
        const entry = inFlight.get(w);
        w.kill('close');
        if (entry !== undefined) finish(w, entry, new GatewayError('CANCELLED', 'The worker pool was closed while the simulation ran.'));
      }
      // Hold the event loop open until every worker is really gone (they are unref'd).
      const hold = setInterval(() => undefined, 1 << 30);
      await Promise.all(all.map((w) => w.exited()));
      clearInterval(hold);
      memory.close();
      if (stageRoot !== undefined) removeStage(stageRoot);
      removeOutbox(outboxRoot.root);
    },
  };
}
