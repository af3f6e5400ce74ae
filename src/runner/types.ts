/**
 * Public shapes of the worker pool: what callers hand in and get back.
 * The pool runs every simulation in a separate, killable, limited child process.
 */
import type { DigestRequest } from '../engine/result-digest.ts';
import type { SimulationOptions, SimulationResult } from '../engine/types.ts';
import type { ModelDescription } from '../schemas/model-description.ts';

export type SandboxMode = 'auto' | 'required' | 'off';

export interface SimulationJob {
  fmu: {
    sha256: string;
    /** <cacheDir>/<sha256>/ as unpacked by src/fmi/archive.ts. */
    unpackedDir: string;
    /** Absolute path of the shared library inside unpackedDir (when not the platform default). */
    binaryPath?: string;
    /**
     * The parsed model description, when the caller already has it (OpenedFmu). When absent the
     * worker parses <unpackedDir>/modelDescription.xml itself, inside the sandbox.
     */
    modelDescription?: ModelDescription;
  };
  options: Omit<SimulationOptions, 'onProgress' | 'signal'>;
  /** Reductions for the answer, computed by the worker beside the full columns (engine/result-digest.ts). */
  digest?: DigestRequest;
}

/** Built-in diagnostics run by the worker instead of a simulation (tests, self-test, doctor). */
export type DiagnosticJob =
  | { kind: 'diagnostic'; name: 'echo'; value: unknown }
  | { kind: 'diagnostic'; name: 'sleep'; ms: number }
  | { kind: 'diagnostic'; name: 'spin'; ms: number }
  | { kind: 'diagnostic'; name: 'allocate'; mb: number }
  | { kind: 'diagnostic'; name: 'crash'; signal: 'SIGSEGV' | 'SIGABRT' | 'SIGBUS' }
  | { kind: 'diagnostic'; name: 'log'; lines: number; bytesPerLine: number }
  | { kind: 'diagnostic'; name: 'probe'; connectPort?: number; writePath?: string }
  /** dlopen a shared library (through src/fmi/diagnostic-load.ts) and call `int <symbol>(void)`. */
  | { kind: 'diagnostic'; name: 'load-library'; path: string; symbol?: string };

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, time: number) => void;
  /** Identity of the caller (API key, session); workers are never shared between callers. */
  callerId?: string;
  /** Called when the job reaches a worker: its host pid and whether it had run this FMU before. */
  onDispatch?: (info: { workerPid: number; reused: boolean }) => void;
  /**
   * Leave the rows in the worker's columnar file, named in SimulationResult.resultFile (the run
   * store adopts it by rename), instead of loading them into this process: the result's time,
   * column values and eventRows come back EMPTY (columns keep name, type, unit), and the job's
   * digest holds what an answer needs. Only with SimulationJob.digest. Otherwise the rows are
   * loaded (one read per column) and the file deleted.
   */
  rowsInFile?: boolean;
  /** Per-phase timestamps of the call (src/service/phases.ts): queue, dispatch, worker, collect. */
  phases?: { mark(phase: string): void; note(phase: string, ms: number): void };
}

export interface IsolationReport {
  level: 'sandboxed' | 'process-only';
  /** e.g. 'bwrap', 'network-namespace', 'pid-namespace', 'read-only-root', 'private-tmp', 'unprivileged-uid', 'rlimit-data'. */
  features: string[];
  /** What could not be set up, with the reason (e.g. 'bwrap: not installed (apt-get install bubblewrap)'). */
  missing: string[];
  /**
   * How SIM_MEMORY_MB is enforced for every kind of memory (src/runner/memory-limit.ts):
   * 'cgroup-v2' / 'cgroup-v1' (a memory cgroup per worker) or 'rlimit-as' (address-space limit
   * with headroom plus sampling of resident anonymous and shared memory).
   */
  memory?: { mechanism: 'cgroup-v2' | 'cgroup-v1' | 'rlimit-as'; limit_mb: number; detail: string };
}

export interface WorkerPoolOptions {
  /** Number of worker processes (default os.availableParallelism()). */
  size?: number;
  /** Jobs waiting for a worker beyond the running ones (default 64); more → QUEUE_FULL. */
  queueLength?: number;
  /**
   * Workers one caller (callerId) may hold at once (default size). The pool runs up to size + 1
   * jobs when the extra one is another caller's: one caller cannot occupy every worker, and a
   * caller alone still uses every CPU. Callers' queues are served in turn whatever this is.
   */
  maxBusyPerCaller?: number;
  /** Fresh workers kept started and ready beside the running ones (default size). */
  spareWorkers?: number;
  /**
   * Workers started when the pool is created, beyond the spares (default 0). The one-shot CLI
   * uses 1 with no spares: its one worker starts while the FMU is being opened, and no second one.
   */
  initialWorkers?: number;
  /**
   * Reuse the sandbox self-test's positive verdict from <cacheDir> (runner/sandbox-cache.ts)
   * instead of probing at every start (default false: servers probe once per start anyway).
   */
  cacheSelfTest?: boolean;
  /** Workers that ran a job and wait (reuseIdleMs) for another of the same FMU and caller, at most (default 4 × size). */
  maxLingeringWorkers?: number;
  /** Operational messages (directories recreated, start failures); default: a line on stderr. */
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** Wall-clock limit per job, from dispatch to result (default 20 000). */
  timeoutMs?: number;
  /** Memory of a worker, all kinds, in MiB (default 1024): cgroup limit or RLIMIT_AS + sampling, and RLIMIT_DATA. */
  memoryMb?: number;
  /** FMU log bytes kept per job (default 64 KiB); the rest is counted and dropped. */
  maxLogBytes?: number;
  /** Refuse jobs whose output grid has more rows (default 1 000 000). */
  maxOutputRows?: number;
  sandbox?: SandboxMode;
  /** Where staging copies of FMUs for sandboxed workers live (<cacheDir>/.runner/). */
  cacheDir: string;
  /**
   * Where workers write result files (<resultDir>/.incoming/): the run store's directory, so a
   * kept file is adopted by rename. Default <cacheDir>/.runner.
   */
  resultDir?: string;
  /** Size of each worker's private /tmp (default 64 MiB). */
  tmpMb?: number;
  /** How long a worker bound to an FMU waits for another job of the same FMU and caller (default 1500 ms). */
  reuseIdleMs?: number;
  /** 'rlimit-as' skips cgroups even where they are available (tests: a host that allows none). */
  memoryLimit?: 'auto' | 'rlimit-as';
  /** Override the sandbox tools found on PATH (tests: simulate a machine without bwrap). */
  sandboxTools?: { bwrap?: string; prlimit?: string; setpriv?: string };
}

export interface WorkerPool {
  run(job: SimulationJob, opts?: RunOptions): Promise<SimulationResult>;
  /** Runs a built-in diagnostic in a fresh worker (tests, doctor); same limits as a simulation. */
  runDiagnostic(job: DiagnosticJob, opts?: RunOptions): Promise<unknown>;
  readonly isolation: IsolationReport;
  /** Live figures for tests and health checks. */
  stats(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  starting: number;
  queued: number;
  /** Host PIDs of every live worker process (outermost process of each). */
  pids: number[];
  /** Of `idle`: fresh workers (never used), ready for any caller. */
  spare: number;
  /** Of `idle`: workers bound to an FMU and caller, waiting for another of its jobs. */
  lingering: number;
}
