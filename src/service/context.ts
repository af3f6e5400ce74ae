/**
 * What every use case receives: its collaborators, passed in (never imported as singletons), so a
 * test can hand real pieces on temporary directories and each face (MCP, HTTP, CLI) wires them once.
 */
import type { Config } from '../config.ts';
import type { SimulationResult } from '../engine/types.ts';
import type { FmuSource } from '../fmi/archive.ts';
import type { OpenFmuAsyncOptions } from '../fmi/archive-async.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import type { Payments } from '../payments/payments.ts';
import type { Admission } from '../runner/admission.ts';
import type { IsolationReport, RunOptions, SimulationJob } from '../runner/types.ts';
import type { DefaultExperiment } from '../schemas/model-description.ts';
import type { GatewayClient } from '../remote/client.ts';
import type { FmuFileStore, StoredCompileOptions } from '../store/fmu-file-store.ts';
import type { RunResultStore } from '../store/run-result-store.ts';
import type { CallerAccess } from './access.ts';

/**
 * What the service needs of a library entry. Written structurally so src/library/catalog.ts and a
 * test's own catalog both satisfy it (the catalog is passed in); extra fields are ignored.
 */
export interface CatalogEntryLike {
  name: string;
  description?: string;
  tags?: readonly string[];
  equations?: string | readonly string[];
  fmi_versions: readonly ('2.0' | '3.0')[];
  interfaces?: readonly ('ME' | 'CS')[];
  default_experiment?: DefaultExperiment;
  variables?: readonly { name: string; causality: string }[];
}

export interface CatalogLike {
  list(query?: string, limit?: number): CatalogEntryLike[];
  /** id is 'msl:<Name>'; NOT_FOUND (GatewayError) when unknown. */
  resolve(id: string, fmiVersion?: '2.0' | '3.0'): { entry: CatalogEntryLike; fmuPath: string };
}

/** The worker pool's `run` (src/runner), or createInProcessRunner for tests and benchmarks. */
export interface SimulationRunner {
  run(job: SimulationJob, opts?: RunOptions): Promise<SimulationResult>;
  readonly isolation: IsolationReport;
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface ServiceContext {
  config: Config;
  catalog: CatalogLike;
  fmuStore: FmuFileStore;
  results: RunResultStore;
  runner: SimulationRunner;
  logger: Logger;
  /**
   * Makes sure a sources-only FMU has a binary for this platform (src/fmi/source-build.ts) and
   * returns its path; undefined = use the FMU's own binary. Omit when compiling is not offered.
   * `compileOptions`: those stored with the uploaded fmu_id (upload_fmu compile_options).
   */
  ensureBinary?: (
    fmu: OpenedFmu,
    iface: 'ME' | 'CS',
    compileOptions?: StoredCompileOptions,
    callerId?: string,
  ) => Promise<string | undefined>;
  /**
   * The caller of this request, on faces that serve several (REST, MCP over HTTP): scopes uploads
   * and runs to it and records its usage (service/access.ts). Absent: the local user, unscoped.
   */
  access?: CallerAccess;
  /**
   * Admission control for local simulate / sweep requests (src/runner/admission.ts): past its bounds a
   * request is refused with SERVER_BUSY before any store write, usage record or payment. Omitted: unbounded.
   */
  admission?: Admission;
  /** Pricing, checkout and payment tokens (src/payments); omitted = nothing is ever charged. */
  payments?: Payments;
  /** Client of the hosted gateway at FMU_GATEWAY_URL (modes remote / auto); absent when none is configured. */
  remote?: GatewayClient;
  /** Runs executed on the remote (run id → its base URL), so their results stay readable here. */
  remoteRuns?: Map<string, string>;
  /** Checkout sessions the remote opened for forwarded calls: redeem_checkout goes there for them. */
  remoteSessions?: Set<string>;
  /**
   * How FMUs are opened (validated, unpacked, parsed): a long-running server passes openFmuAsync
   * (src/fmi/archive-async.ts, off the event loop); default: the synchronous openFmu, which suits
   * one-shot CLI commands (no thread to start).
   */
  openFmu?: (source: FmuSource, opts: OpenFmuAsyncOptions) => Promise<OpenedFmu>;
}

/** One JSON line per message on stderr (stdout belongs to the MCP stdio transport). */
export function createStderrLogger(minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const emit = (level: keyof typeof order) => (message: string, data?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...data })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
