/**
 * The worker pool, composed of three parts with one job each:
 *  - the scheduler (scheduler.ts): per-caller queues served in turn, a cap on the workers one
 *    caller holds, and which idle worker takes which job (the reuse rule: a worker that loaded an
 *    FMU only ever runs that FMU for that caller);
 *  - the worker supply (worker-supply.ts): spare workers kept warm, replacements started off the
 *    request path, used workers lingering for a while or retired;
 *  - the job runner (job-runner.ts): one job on one worker, with its limits and its result.
 * This file wires them and keeps the promise of each submitted job.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { SimulationResult } from '../engine/types.ts';
import { bindingOf } from './binding.ts';
import type * as JobRunner from './job-runner.ts';
import type { JobOutcome, RunningJob } from './job-runner.ts';
import { checkJobLimits } from './limits.ts';
import { createMemoryLimiter } from './memory-limit.ts';
import { createOutboxRoot } from './result-outbox.ts';
import { findTools, selfTestSandbox } from './sandbox.ts';
import { forgetSelfTest } from './sandbox-cache.ts';
import { createScheduler } from './scheduler.ts';
import { createStageRoot, removeTreeAsync } from './staging.ts';
import type { DiagnosticJob, IsolationReport, PoolStats, RunOptions, SimulationJob, WorkerPool, WorkerPoolOptions } from './types.ts';
import type { WorkerProcess } from './worker-process.ts';
import { markStartup } from '../startup-trace.ts';
import { createWorkerSupply, workersCannotStart } from './worker-supply.ts';

interface Entry {
  job: SimulationJob | DiagnosticJob;
  opts: RunOptions;
  /** The unit of fairness: the caller (each diagnostic its own). */
  caller: string;
  /** FMU + caller, for the reuse rule; undefined for diagnostics (always a fresh worker). */
  binding: string | undefined;
  resolve: (v: unknown) => void;
  reject: (e: GatewayError) => void;
  settled: boolean;
  running?: RunningJob;
  onAbort?: () => void;
}

/**
 * The job runner (and through it the result reader and its schemas) is loaded once the first
 * worker is spawned, not before: the one-shot CLI starts its worker that much earlier (start-up,
 * docs/architecture.md). A job submitted before is queued at once (stats, fairness and admission
 * see it) and started once the module is there (pump waits for it).
 */
type JobRunnerModule = typeof JobRunner;
let jobRunner: JobRunnerModule | undefined;
let jobRunnerLoading: Promise<JobRunnerModule> | undefined;
function loadJobRunner(): Promise<JobRunnerModule> {
  return (jobRunnerLoading ??= import('./job-runner.ts').then((m) => (jobRunner = m)));
}

/** How long a worker bound to an FMU waits for another job of that FMU and caller. */
const REUSE_IDLE_MS = 1500;

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const size = Math.max(1, options.size ?? availableParallelism());
  const queueLength = options.queueLength ?? 64;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxOutputRows = options.maxOutputRows ?? 1_000_000;
  const maxLogBytes = options.maxLogBytes ?? 64 * 1024;
  const reuseIdleMs = options.reuseIdleMs ?? REUSE_IDLE_MS;
  const mode = options.sandbox ?? 'auto';

  markStartup('pool: sandbox self-test start');
  let selfTestCached = false;
  const isolation: IsolationReport =
    mode === 'off'
      ? { level: 'process-only', features: ['separate-process', 'minimal-environment'], missing: ['sandbox: disabled by configuration'] }
      : selfTestSandbox({
          memoryMb: options.memoryMb ?? 1024,
          tools: options.sandboxTools ?? findTools(),
          ...(options.cacheSelfTest === true
            ? {
                cacheDir: options.cacheDir,
                onCached: () => {
                  selfTestCached = true;
                },
              }
            : {}),
        });
  markStartup(`pool: sandbox self-test done${selfTestCached ? ' (remembered verdict)' : ''}`);
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
  markStartup('pool: memory limiter ready');
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
  markStartup('pool: directories ready');
  const log =
    options.log ??
    ((message: string, data?: Record<string, unknown>) =>
      process.stderr.write(`fmu-gateway pool: ${message}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`));
  // One caller may use every CPU slot (`size`); one more worker is kept for the other callers, so
  // a caller alone loses no throughput and still cannot hold every worker: a newcomer starts at
  // once (briefly one process more than cores), not after the flood's next job.
  const perCaller = Math.max(1, Math.min(size, options.maxBusyPerCaller ?? size));
  const scheduler = createScheduler<Entry, { binding: string | undefined; worker: WorkerProcess }>({
    slots: perCaller < size ? size : size + 1,
    maxBusyPerCaller: perCaller,
    maxQueued: queueLength,
  });
  const running = new Map<WorkerProcess, RunningJob>();
  const jobSettings = { sandboxed, memoryMb, timeoutMs, maxLogBytes, outboxRoot };
  let closed = false;
  let diagnostics = 0;

  /** The first worker's report puts the seccomp filter in the isolation report (features or missing). */
  let seccompNoted = false;
  function noteSeccomp(w: WorkerProcess): void {
    if (seccompNoted || w.seccomp === undefined) return;
    seccompNoted = true;
    if (w.seccomp.installed) isolation.features.push('seccomp-filter');
    else isolation.missing.push(w.seccomp.detail);
  }

  const supply = createWorkerSupply(
    {
      settings,
      stageRoot,
      outboxRoot,
      spares: options.spareWorkers ?? size,
      maxLingering: options.maxLingeringWorkers ?? 4 * size,
      lingerMs: reuseIdleMs,
      log,
    },
    {
      onReady: (w) => {
        noteSeccomp(w);
        pump();
      },
      onExit: (w) => {
        running.get(w)?.workerDied();
        // Dispatch first: a queued job of the same FMU takes a lingering worker, and only then
        // are fresh ones started for what is left.
        pump();
      },
      onCorrupt: (w, reason) => running.get(w)?.corrupted(reason),
      onStartFailed: () => {
        // A remembered verdict vouched for a sandbox in which workers now fail to start: forget
        // it, so the next start probes again (and falls back or says why).
        if (selfTestCached && supply.failure !== undefined) forgetSelfTest(options.cacheDir);
        pump();
      },
      onMemoryExceeded: (w) => {
        const job = running.get(w);
        if (job === undefined) w.kill('memory');
        else job.memoryExceeded();
      },
    },
  );

  function settle(entry: Entry, outcome: JobOutcome): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.onAbort !== undefined) entry.opts.signal?.removeEventListener('abort', entry.onAbort);
    if (outcome instanceof GatewayError) entry.reject(outcome);
    else entry.resolve(outcome.ok);
  }

  function start(entry: Entry, w: WorkerProcess): void {
    markStartup('pool: job sent to worker');
    supply.take(w);
    // Loaded: pump starts nothing before it is.
    const job = (jobRunner as JobRunnerModule).runJob(w, entry.job, entry.opts, jobSettings);
    entry.running = job;
    running.set(w, job);
    void job.done.then((outcome) => {
      running.delete(w);
      scheduler.finished(entry);
      // Reused only after a clean success, for its own FMU and caller; whether the FMU left
      // something running (a ghost thread would run beside the next job and see its data) is
      // checked once the caller has its result (that look into /proc is not on its path), or
      // when the worker is handed its next job if that comes first (reusable below).
      const keep = !(outcome instanceof GatewayError) && !w.spent && w.binding !== undefined && !closed && w.state !== 'dead';
      if (keep) unchecked.add(w);
      supply.release(w, keep, outcome instanceof GatewayError ? outcome.code : 'spent');
      markStartup('pool: job done');
      settle(entry, outcome);
      pump();
      // After the answer's continuation (a job dispatched to the worker before this checks it then).
      if (keep) setImmediate(() => w.state === 'idle' && !w.spent && leftNothing(w));
    });
  }

  /** Workers released after a job whose leftovers (processes, threads) are not checked yet. */
  const unchecked = new WeakSet<WorkerProcess>();
  /** The worker's last job left nothing running (checked once per job); otherwise it is retired. */
  function leftNothing(w: WorkerProcess): boolean {
    if (!unchecked.has(w)) return true;
    unchecked.delete(w);
    if (!w.leftSomethingRunning()) return true;
    supply.retire(w, 'its FMU left something running');
    return false;
  }
  /** A worker may take the job assigned to it: its directories are there, and its last job left nothing running. */
  const reusable = (w: WorkerProcess): boolean => supply.usable(w) && leftNothing(w);

  /** Workers are unref'd (an idle pool must not keep the process alive); pending work must. */
  let keepAlive: NodeJS.Timeout | undefined;
  function updateKeepAlive(): void {
    const pending = scheduler.queued > 0 || scheduler.busy > 0;
    if (pending && keepAlive === undefined) keepAlive = setInterval(() => undefined, 1 << 30);
    if (!pending && keepAlive !== undefined) {
      clearInterval(keepAlive);
      keepAlive = undefined;
    }
  }

  function pump(): void {
    if (closed) return updateKeepAlive();
    if (supply.failure !== undefined) {
      const err = workersCannotStart(supply.failure, supply.failureError);
      for (const e of scheduler.drain()) settle(e, err);
      return updateKeepAlive();
    }
    if (jobRunner === undefined && scheduler.queued > 0) {
      // Jobs wait for the job runner's module (loading since the pool was made), then start.
      loadJobRunner().then(
        () => pump(),
        (e: unknown) => {
          const err = new GatewayError('INTERNAL', `The job runner could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
          for (const x of scheduler.drain()) settle(x, err);
          updateKeepAlive();
        },
      );
      return updateKeepAlive();
    }
    // Nothing waits: nothing to match (a finished job's pump only tops the spares up).
    const idle = scheduler.queued === 0 ? [] : supply.idle().map((worker) => ({ binding: bindingOfWorker(worker), worker }));
    const { assignments, starved } = scheduler.assign(idle);
    let unusable = false;
    for (const a of assignments) {
      if (reusable(a.worker.worker)) start(a.job, a.worker.worker);
      else {
        scheduler.unassign(a.job); // its worker was retired: match again
        unusable = true;
      }
    }
    if (unusable) return pump();
    // Fresh workers for jobs that found none (at most one per free slot), and spares again.
    supply.replenish(Math.min(starved, size + 1 - scheduler.busy));
    updateKeepAlive();
  }

  function submit(job: SimulationJob | DiagnosticJob, opts: RunOptions): Promise<unknown> {
    if (closed) return Promise.reject(new GatewayError('CANCELLED', 'The worker pool is closed.'));
    if (opts.signal?.aborted) return Promise.reject(new GatewayError('CANCELLED', 'The simulation was cancelled before it started.'));
    let binding: string | undefined;
    let caller: string;
    if ('kind' in job) {
      caller = `#diagnostic-${++diagnostics}`;
    } else {
      try {
        checkJobLimits(job, maxOutputRows);
      } catch (e) {
        return Promise.reject(e);
      }
      // null for anonymous callers: no caller id (not even the string "anonymous") shares with them.
      binding = bindingOf(job.fmu.sha256, opts.callerId ?? null);
      caller = opts.callerId === undefined ? '#anonymous' : `key:${opts.callerId}`;
    }
    if (supply.failure !== undefined) return Promise.reject(workersCannotStart(supply.failure, supply.failureError));
    return new Promise((resolve, reject) => {
      const entry: Entry = { job, opts, caller, binding, resolve, reject, settled: false };
      try {
        scheduler.enqueue(entry);
      } catch (e) {
        reject(e as GatewayError);
        return;
      }
      entry.onAbort = () => {
        if (entry.running !== undefined) {
          entry.running.cancel(new GatewayError('CANCELLED', 'The simulation was cancelled while running; its worker was stopped.'));
        } else if (scheduler.remove(entry)) {
          settle(entry, new GatewayError('CANCELLED', 'The simulation was cancelled while waiting for a worker.'));
          updateKeepAlive();
        }
      };
      opts.signal?.addEventListener('abort', entry.onAbort, { once: true });
      pump();
    });
  }

  supply.replenish(Math.max(0, options.initialWorkers ?? 0));
  void loadJobRunner();

  return {
    isolation,
    run: (job, opts = {}) => submit(job, opts) as Promise<SimulationResult>,
    runDiagnostic: (job, opts = {}) => submit(job, opts),
    stats(): PoolStats {
      const c = supply.counts();
      return {
        size,
        idle: c.fresh + c.lingering,
        busy: scheduler.busy,
        starting: c.starting,
        queued: scheduler.queued,
        pids: supply.pids(),
        spare: c.fresh,
        lingering: c.lingering,
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const e of scheduler.drain()) settle(e, new GatewayError('CANCELLED', 'The worker pool was closed.'));
      for (const job of running.values()) job.cancel(new GatewayError('CANCELLED', 'The worker pool was closed while the simulation ran.'));
      updateKeepAlive();
      // Every worker is killed now (supply.close's first step); their folders (all under the two
      // roots) are removed meanwhile, off the event loop, instead of one by one after each exit.
      const exited = supply.close();
      const removed = Promise.all([...(stageRoot === undefined ? [] : [removeTreeAsync(stageRoot)]), removeTreeAsync(outboxRoot.root)]);
      await exited;
      markStartup('pool: workers exited');
      memory.close();
      await removed;
      markStartup('pool: directories removed');
    },
  };
}

function bindingOfWorker(w: WorkerProcess): string | undefined {
  return w.binding === undefined ? undefined : bindingOf(w.binding.sha256, w.binding.callerId);
}
