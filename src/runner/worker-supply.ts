/**
 * The pool's worker supply: starts worker processes, keeps `spares` fresh ones warm so a job of a
 * new caller or FMU never waits for a cold start (a replacement is started as soon as one is
 * taken, off the request path), lets a worker that ran a job linger for more jobs of the same FMU
 * and caller (bounded in number, least recently used retired first, and in time), and retires
 * used workers. It owns each worker's directories and recreates the roots when something removed
 * them (a cleaner emptying runs/.incoming/, an operator): a worker whose own directory vanished is
 * retired, never used, and the server keeps serving.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { GatewayError } from '../errors.ts';
import { createWorkerOutbox, ensureOutboxRoot, removeOutbox, type OutboxRoot } from './result-outbox.ts';
import { createStageDir, removeStage } from './staging.ts';
import { markStartup } from '../startup-trace.ts';
import { WorkerProcess, type WorkerSettings } from './worker-process.ts';

export interface WorkerSupplyOptions {
  settings: WorkerSettings;
  /** Root of the per-worker FMU staging dirs (sandboxed workers only). */
  stageRoot: string | undefined;
  outboxRoot: OutboxRoot;
  /** Fresh workers kept ready beyond the running ones. */
  spares: number;
  /** Workers that ran a job and wait for another of the same FMU and caller, at most. */
  maxLingering: number;
  /** How long such a worker waits before it is retired. */
  lingerMs: number;
  /** Consecutive start failures after which the supply gives up (default 3). */
  maxStartFailures?: number;
  /** Operational messages (a directory recreated, a worker retired for a missing directory). */
  log: (message: string, data?: Record<string, unknown>) => void;
}

export interface WorkerSupplyEvents {
  /** A worker finished starting: jobs may be assigned to it. */
  onReady(w: WorkerProcess): void;
  /** A worker is gone (its directories are already removed). */
  onExit(w: WorkerProcess): void;
  /** The worker's channel carried something that is not our protocol (it is being killed). */
  onCorrupt(w: WorkerProcess, reason: string): void;
  /** The worker went past its memory limit while alive. */
  onMemoryExceeded(w: WorkerProcess): void;
  /** A worker could not start (`failure` is set once that happened too often in a row). */
  onStartFailed(): void;
}

export interface SupplyCounts {
  starting: number;
  /** Ready and never used. */
  fresh: number;
  /** Ready, bound to an FMU and caller. */
  lingering: number;
  busy: number;
}

export interface WorkerSupply {
  /** Ready workers that may take a job now (fresh or lingering), as far as their state says (see usable). */
  idle(): WorkerProcess[];
  /**
   * Checked once a job is assigned to `w`: its directories are still there (an operator or a
   * cleaner may have removed them); otherwise it is retired and false. Checked then, not for every
   * idle worker at every dispatch: that was two stat calls per idle worker per event.
   */
  usable(w: WorkerProcess): boolean;
  /** A job starts on `w`: it stops lingering. */
  take(w: WorkerProcess): void;
  /** A job on `w` ended: keep it for more jobs of its binding, or retire it. */
  release(w: WorkerProcess, keep: boolean, reason: string): void;
  /** Kills a worker and never hands it out again. */
  retire(w: WorkerProcess, reason: string): void;
  /** Starts fresh workers until `spares + starved` are ready or starting. */
  replenish(starved: number): void;
  /** Why workers cannot start (after repeated failures); undefined while they can. */
  readonly failure: string | undefined;
  /** The same as a coded error, when the start failure was one (module and path tried). */
  readonly failureError: GatewayError | undefined;
  counts(): SupplyCounts;
  pids(): number[];
  /** Kills every worker and resolves once all have exited. */
  close(): Promise<void>;
}

const MAX_START_FAILURES = 3;

const isFresh = (w: WorkerProcess): boolean => w.binding === undefined && !w.spent && w.state !== 'dead';

export function createWorkerSupply(opts: WorkerSupplyOptions, events: WorkerSupplyEvents): WorkerSupply {
  const workers = new Set<WorkerProcess>();
  /** Lingering workers, least recently released first (Map keeps insertion order), with their timers. */
  const lingering = new Map<WorkerProcess, NodeJS.Timeout>();
  const maxStartFailures = opts.maxStartFailures ?? MAX_START_FAILURES;
  let ids = 0;
  let startFailures = 0;
  let failure: string | undefined;
  /** The coded error of the last failed start (WORKER_START_FAILED with module / path / stderr). */
  let failureError: GatewayError | undefined;
  let closed = false;

  function stopLingering(w: WorkerProcess): void {
    const t = lingering.get(w);
    if (t !== undefined) clearTimeout(t);
    lingering.delete(w);
  }

  function retire(w: WorkerProcess, reason: string): void {
    stopLingering(w);
    w.spent = true;
    w.kill(reason);
  }

  /** The roots again, when something removed them (mkdir -p; nothing else of ours lived there). */
  function recreateRoots(): void {
    mkdirSync(opts.outboxRoot.root, { recursive: true, mode: 0o755 });
    chmodSync(opts.outboxRoot.root, 0o755);
    ensureOutboxRoot(opts.outboxRoot);
    if (opts.stageRoot !== undefined) {
      mkdirSync(opts.stageRoot, { recursive: true, mode: 0o755 });
      chmodSync(opts.stageRoot, 0o755);
    }
  }

  function makeDirs(name: string): { stageDir: string | undefined; outbox: string } {
    const create = () => ({
      stageDir: opts.stageRoot === undefined ? undefined : createStageDir(opts.stageRoot, name),
      outbox: createWorkerOutbox(opts.outboxRoot, name),
    });
    try {
      return create();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      opts.log('worker directories were removed; recreating them', { outbox_root: opts.outboxRoot.root, stage_root: opts.stageRoot });
      recreateRoots();
      if (opts.stageRoot !== undefined) removeStage(`${opts.stageRoot}/${name}`); // half-made on the first try
      return create();
    }
  }

  function startFailed(message: string, error?: unknown): void {
    if (closed) return; // killed while starting because the pool closes: not a failure
    startFailures++;
    failureError = error instanceof GatewayError ? error : undefined;
    opts.log('a worker failed to start', { error: message, consecutive: startFailures });
    if (startFailures >= maxStartFailures) failure = message;
    // Not re-entrant: a failure inside replenish() must not run the pool's pump inside itself.
    setImmediate(() => events.onStartFailed());
  }

  function spawnWorker(): void {
    const name = `w${++ids}`;
    let w: WorkerProcess;
    try {
      const dirs = makeDirs(name);
      markStartup('pool: worker spawn');
      w = new WorkerProcess(opts.settings, dirs.stageDir, dirs.outbox);
    } catch (e) {
      startFailed(`cannot prepare a worker: ${(e as Error).message}`, e);
      return;
    }
    workers.add(w);
    w.onExit = () => onWorkerExit(w);
    w.onCorrupt = (reason) => events.onCorrupt(w, reason);
    w.onMemoryExceeded = () => events.onMemoryExceeded(w);
    w.ready.then(
      () => {
        markStartup('pool: worker ready');
        startFailures = 0;
        failure = undefined;
        if (closed) w.kill('close');
        else events.onReady(w);
      },
      (e: Error) => startFailed(e.message, e),
    );
  }

  function onWorkerExit(w: WorkerProcess): void {
    workers.delete(w);
    stopLingering(w);
    if (w.stageDir !== undefined) removeStage(w.stageDir);
    removeOutbox(w.outboxDir);
    w.memoryGroup?.remove();
    events.onExit(w);
  }

  /** A worker whose directories vanished cannot be given a job (its sandbox binds the old ones). */
  function dirsIntact(w: WorkerProcess): boolean {
    if (existsSync(w.outboxDir) && (w.stageDir === undefined || existsSync(w.stageDir))) return true;
    opts.log('a worker directory was removed; retiring that worker', { outbox: w.outboxDir });
    retire(w, 'directory removed');
    return false;
  }

  return {
    idle(): WorkerProcess[] {
      const out: WorkerProcess[] = [];
      for (const w of workers) if (w.state === 'idle' && !w.spent) out.push(w);
      return out;
    },
    usable: dirsIntact,
    take(w: WorkerProcess): void {
      stopLingering(w);
      w.state = 'busy';
    },
    release(w: WorkerProcess, keep: boolean, reason: string): void {
      if (!keep || closed || w.state === 'dead' || opts.lingerMs <= 0 || opts.maxLingering <= 0) {
        retire(w, reason);
        return;
      }
      w.state = 'idle';
      const t = setTimeout(() => retire(w, 'idle'), opts.lingerMs);
      t.unref();
      lingering.set(w, t);
      // Over the bound: the least recently used lingering worker goes.
      while (lingering.size > opts.maxLingering) {
        const [oldest] = lingering.keys() as MapIterator<WorkerProcess>;
        if (oldest === undefined) break;
        retire(oldest, 'lingering bound');
      }
    },
    retire,
    replenish(starved: number): void {
      if (closed || failure !== undefined) return;
      // Processes stay bounded without a budget here: running ones by the scheduler's slots,
      // lingering ones by maxLingering (release), fresh ones (starting included) by this count.
      let fresh = 0;
      for (const w of workers) if (isFresh(w)) fresh++;
      for (const want = opts.spares + starved; fresh < want && failure === undefined; fresh++) spawnWorker();
    },
    get failureError() {
      return failure === undefined ? undefined : failureError;
    },
    get failure() {
      return failure;
    },
    counts(): SupplyCounts {
      const c: SupplyCounts = { starting: 0, fresh: 0, lingering: 0, busy: 0 };
      for (const w of workers) {
        if (w.state === 'starting') c.starting++;
        else if (w.state === 'busy') c.busy++;
        else if (w.state === 'idle' && !w.spent) {
          if (w.binding === undefined) c.fresh++;
          else c.lingering++;
        }
      }
      return c;
    },
    pids: () => [...workers].map((w) => w.pid),
    async close(): Promise<void> {
      closed = true;
      const all = [...workers];
      for (const w of all) retire(w, 'close');
      // Hold the event loop open until every worker is really gone (they are unref'd).
      const hold = setInterval(() => undefined, 1 << 30);
      await Promise.all(all.map((w) => w.exited()));
      clearInterval(hold);
    },
  };
}

/** Thrown when jobs are submitted while no worker can start. */
export function workersCannotStart(failure: string, cause?: GatewayError): GatewayError {
  // WORKER_START_FAILED with what was missing (module, path tried, the worker's stderr).
  return new GatewayError('WORKER_START_FAILED', `Simulation workers cannot start: ${failure}`, cause?.data);
}
