/**
 * The pool's job runner: runs one job on one worker it is handed, and settles once. It stages the
 * FMU for the worker (binding the worker to FMU and caller on its first job), prepares the result
 * file, applies the wall-clock limit and memory sampling, checks every message against the job
 * (a frame for another job or of the wrong kind is the FMU forging the channel), collects the
 * result file and reads a worker's death with its memory evidence. It never decides whether the
 * worker is reused: that is the pool's (and the supply's) call once the outcome is known.
 */
import { markStartup } from '../startup-trace.ts';
import { unlink } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../errors.ts';
import type { SimulationResult } from '../engine/types.ts';
import { classifyDeath } from './exit-classify.ts';
import type { WireSimulationResult, WorkerJob, WorkerMessage } from './protocol.ts';
import { WORKER_ANSWERED, WORKER_RECEIVED } from './worker-timings.ts';
import { loadResultFile } from './result-load.ts';
import {
  clearOutbox,
  collectJobFile,
  jobFileName,
  LOG_FILE_NAME,
  prepareJobFile,
  SANDBOX_RESULTS_DIR,
  type OutboxRoot,
} from './result-outbox.ts';
import { SANDBOX_FMU_DIR } from './sandbox.ts';
import { stageFmu } from './staging.ts';
import type { DiagnosticJob, RunOptions, SimulationJob } from './types.ts';
import type { WorkerProcess } from './worker-process.ts';

export type JobOutcome = { ok: unknown } | GatewayError;

export interface JobRunnerSettings {
  sandboxed: boolean;
  memoryMb: number;
  timeoutMs: number;
  maxLogBytes: number;
  outboxRoot: OutboxRoot;
}

export interface RunningJob {
  /** Settles once with the job's outcome; the worker is idle (or dead) by then. */
  readonly done: Promise<JobOutcome>;
  /** Stops the job now: kills its worker and settles with `error`. */
  cancel(error: GatewayError): void;
  /** The worker exited: settles with what its death means, unless already settled. */
  workerDied(): void;
  /** The FMU wrote into the worker's channel. */
  corrupted(reason: string): void;
  /** The worker went past its memory limit (it is being killed). */
  memoryExceeded(): void;
}

let jobIds = 0;

/**
 * Removes a collected result file off the event loop (libuv's thread pool): an unlink of a file
 * just written costs the filesystem's journal work, and it answers nobody. It lies in done/, out of
 * every worker's reach, and is gone before anything could look for it by name again.
 */
const removeLater = (path: string): void => unlink(path, () => undefined);

/** The reuse key of a simulation: FMU + caller (null: anonymous, which shares with no caller id). */
export { bindingOf } from './binding.ts';

/** How a worker's end reads, with the memory evidence (the cgroup's OOM kills, our own kill). */
function deathError(
  w: WorkerProcess,
  settings: JobRunnerSettings,
  exit: { code: number | null; signal: NodeJS.Signals | null } | null,
): GatewayError {
  return classifyDeath({
    // exit null: we are killing it for memory now (SIGKILL), before its exit is known.
    code: exit === null ? null : exit.code,
    signal: exit === null ? 'SIGKILL' : exit.signal,
    sandboxed: settings.sandboxed,
    peakDataBytes: w.peakDataBytes,
    peakMemoryBytes: w.memoryPeak(),
    memoryLimitBytes: settings.memoryMb * 1024 * 1024,
    memoryKilled: exit === null || w.killReason === 'memory' || w.oomKilled(),
    stderrTail: w.stderrTail,
    lastLogLines: w.lastLogLines(20),
  });
}

/** The job as the worker gets it: paths as the worker sees them (staged into its sandbox). */
function toWorkerJob(w: WorkerProcess, job: SimulationJob | DiagnosticJob, opts: RunOptions): WorkerJob {
  if ('kind' in job) {
    w.spent = true; // a diagnostic may leave anything behind: its worker never runs another job
    return job;
  }
  if (w.binding === undefined) {
    w.binding = { sha256: job.fmu.sha256, callerId: opts.callerId ?? null };
    w.staged = w.stageDir === undefined ? job.fmu : stageFmu(w.stageDir, SANDBOX_FMU_DIR, job.fmu);
  }
  const paths = w.staged ?? job.fmu;
  const fmu = { ...job.fmu, unpackedDir: paths.unpackedDir };
  // A worker that ran this FMU keeps its model description (simulate-job.ts): not sent again.
  if (w.describedSha256 === job.fmu.sha256) delete fmu.modelDescription;
  else if (fmu.modelDescription !== undefined) w.describedSha256 = job.fmu.sha256;
  if (paths.binaryPath === undefined) delete fmu.binaryPath;
  else fmu.binaryPath = paths.binaryPath;
  // resultPath is filled in once the job has its id.
  // No listener, no progress frames (each one wakes the gateway's event loop): 0 turns them off.
  const out: WorkerJob = { kind: 'simulate', fmu, options: job.options, progressIntervalMs: opts.onProgress ? 250 : 0, resultPath: '' };
  if (job.digest !== undefined) out.digest = job.digest;
  return out;
}

/** Wall-clock time with sub-millisecond resolution, comparable across processes (same clock). */
const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * The worker's own phases (ms) for the phase table, and from its two wall-clock stamps
 * (WORKER_RECEIVED / WORKER_ANSWERED) the channel's share: job frame → worker, and the worker's
 * result frame → here. Stamps of two processes: good to some microseconds, enough for a table.
 */
function noteWorkerTimings(
  phases: NonNullable<RunOptions['phases']>,
  loopMs: number,
  timings: Record<string, number>,
  sentAt: number,
): void {
  phases.note('(in the worker: engine loop)', loopMs);
  let inWorker = 0;
  for (const [k, v] of Object.entries(timings)) {
    if (k === WORKER_RECEIVED || k === WORKER_ANSWERED) continue;
    phases.note(`(${k})`, v);
    inWorker += v;
  }
  const received = timings[WORKER_RECEIVED];
  const answered = timings[WORKER_ANSWERED];
  if (received === undefined || answered === undefined || sentAt === 0) return;
  phases.note('(channel: job frame → worker)', received - sentAt);
  phases.note('(worker: rest of the job)', answered - received - inWorker);
  phases.note('(channel: result frame → gateway)', wallNow() - answered);
}

let fileSeqs = 0;

/** Creates the job's (empty) result file in w's outbox; returns its number. */
function takeJobFile(w: WorkerProcess): number {
  const seq = ++fileSeqs;
  prepareJobFile(w.outboxDir, seq, w.hostUid);
  return seq;
}

export function runJob(w: WorkerProcess, job: SimulationJob | DiagnosticJob, opts: RunOptions, settings: JobRunnerSettings): RunningJob {
  let settle!: (o: JobOutcome) => void;
  const done = new Promise<JobOutcome>((resolve) => (settle = resolve));
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const isDiagnostic = 'kind' in job;
  /** The job's result file (its number in the worker's outbox), once it has one. */
  let fileSeq = 0;
  /** When the job frame left (FMU_GATEWAY_PHASES only): the channel's share of the round trip. */
  let sentAt = 0;

  function finish(outcome: JobOutcome): void {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    w.onMessage = undefined;
    w.stopSampling();
    // Whatever else a job left in the outbox goes. A sandboxed worker with its own uid cannot
    // create anything there (the directory is ours): after a success there is nothing to list.
    if (outcome instanceof GatewayError || w.hostUid === undefined) clearOutbox(w.outboxDir);
    settle(outcome);
  }

  /** A schema-valid message that still breaks the protocol (wrong job, wrong kind of answer): the FMU forged it. */
  function protocolViolation(what: string): void {
    w.kill('protocol violation');
    finish(
      new GatewayError('FMU_CRASHED', `The FMU corrupted its worker's channel to the gateway (${what}); the worker was stopped.`, {
        last_log_lines: w.lastLogLines(10),
      }),
    );
  }

  /**
   * The worker said its rows are written: take the file out of its reach, check and load it
   * (asynchronously, one read per column). A damaged file means the FMU wrote where it should
   * not: the job fails like a crash.
   */
  async function collectResult(wire: WireSimulationResult): Promise<void> {
    let path: string | undefined;
    try {
      path = collectJobFile(settings.outboxRoot, w.outboxDir, fileSeq, w.hostUid);
      const { resultFileBytes, ...meta } = wire;
      const inFile = opts.rowsInFile === true && meta.digest !== undefined;
      const loaded = await loadResultFile(path, resultFileBytes, meta.rows, { values: !inFile });
      const result: SimulationResult = { ...meta, ...loaded };
      if (inFile && !settled) result.resultFile = path;
      else removeLater(path);
      opts.phases?.mark('collect result');
      finish({ ok: result });
    } catch (e) {
      if (path !== undefined) removeLater(path);
      const g = e instanceof GatewayError ? e : new GatewayError('INTERNAL', String(e));
      finish(
        g.code === 'RESULT_CORRUPT' || g.code === 'NOT_FOUND'
          ? new GatewayError('FMU_CRASHED', `The worker's result file is unusable (${g.message}); the worker was stopped.`, {
              last_log_lines: w.lastLogLines(10),
            })
          : g,
      );
    }
  }

  function onMessage(id: number, m: WorkerMessage): void {
    if (m.type === 'ready') return protocolViolation("a second 'ready' message");
    if (m.id !== id) return protocolViolation(`a message for job ${m.id} during job ${id}`);
    switch (m.type) {
      case 'log':
        w.log.push(m.line);
        break;
      case 'progress':
        opts.onProgress?.(Math.min(1, Math.max(0, m.fraction)), m.time);
        break;
      case 'loaded':
        markStartup('worker: FMU loaded');
        if (m.onlyOncePerProcess) w.spent = true;
        break;
      case 'result':
        if (isDiagnostic) return protocolViolation('a simulation result for a diagnostic');
        // Later messages of this job are ignored while its file is read.
        w.onMessage = undefined;
        opts.phases?.mark('worker round trip');
        if (opts.phases !== undefined) noteWorkerTimings(opts.phases, m.result.stats.wallMs, m.timings ?? {}, sentAt);
        void collectResult(m.result);
        break;
      case 'value':
        if (!isDiagnostic) return protocolViolation('a diagnostic value for a simulation');
        finish({ ok: m.value });
        break;
      case 'error':
        finish(new GatewayError(m.error.code, m.error.message, m.error.data));
        break;
    }
  }

  function start(): void {
    opts.phases?.mark('queue');
    const reused = w.binding !== undefined;
    let wire: WorkerJob;
    try {
      wire = toWorkerJob(w, job, opts);
    } catch (e) {
      finish(e instanceof GatewayError ? e : new GatewayError('FMU_LOAD_FAILED', `Cannot stage the FMU for the worker: ${String(e)}`));
      return;
    }
    // A fresh worker gets the FMU staged into its sandbox (a copy); a bound one already has it.
    opts.phases?.mark(reused ? 'dispatch: job' : 'dispatch: stage FMU (fresh worker)');
    const id = ++jobIds;
    let logPath: string;
    try {
      const hostLog = w.startLog();
      logPath = settings.sandboxed ? `${SANDBOX_RESULTS_DIR}/${LOG_FILE_NAME}` : hostLog;
      if (wire.kind === 'simulate') {
        fileSeq = takeJobFile(w);
        wire.resultPath = settings.sandboxed ? `${SANDBOX_RESULTS_DIR}/${jobFileName(fileSeq)}` : join(w.outboxDir, jobFileName(fileSeq));
      }
    } catch (e) {
      finish(new GatewayError('INTERNAL', `Cannot create the result file for the worker: ${String(e)}`));
      return;
    }
    opts.phases?.mark('dispatch: result file');
    opts.onDispatch?.({ workerPid: w.pid, reused });
    w.log.clear();
    w.onMessage = (m) => onMessage(id, m);
    // The job goes out first: the limits below are armed while the worker already runs (a few
    // microseconds later; a frame cannot arrive before this function returns).
    w.send({ type: 'run', id, job: wire, limits: { maxLogBytes: settings.maxLogBytes }, logPath });
    if (opts.phases !== undefined) sentAt = wallNow();
    timer = setTimeout(() => {
      w.kill('timeout');
      finish(
        new GatewayError(
          'SIMULATION_TIMEOUT',
          `The simulation did not finish within ${settings.timeoutMs / 1000} s and was stopped. Shorten the run or raise SIM_TIMEOUT_SECONDS.`,
          { timeout_ms: settings.timeoutMs, last_log_lines: w.lastLogLines(10) },
        ),
      );
    }, settings.timeoutMs);
    w.startSampling();
    opts.phases?.mark('dispatch: limits, send');
  }

  start();
  return {
    done,
    cancel(error: GatewayError): void {
      w.kill('cancel');
      finish(error);
    },
    workerDied(): void {
      finish(deathError(w, settings, { code: w.child.exitCode, signal: w.child.signalCode }));
    },
    corrupted(reason: string): void {
      finish(
        new GatewayError('FMU_CRASHED', `The FMU corrupted its worker's channel to the gateway (${reason}); the worker was stopped.`, {
          last_log_lines: w.lastLogLines(10),
        }),
      );
    },
    memoryExceeded(): void {
      w.kill('memory');
      finish(deathError(w, settings, null));
    },
  };
}
