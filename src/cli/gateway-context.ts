/**
 * Composition root for the long-running faces (mcp, serve): config → stores, catalog, worker pool
 * → ServiceContext. Returns a close() that stops the pool, so a server exits without orphans.
 *
 * `lazyPool`: the pool (whose sandbox self-test takes a few hundred ms) is created on first use or
 * by warmUp(), so the stdio server can answer `initialize` first and start the pool right after.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { openFmuAsync } from '../fmi/archive-async.ts';
import { ensureBinary } from '../fmi/source-build.ts';
import { createCatalog } from '../library/catalog.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { IsolationReport, SandboxMode, WorkerPool } from '../runner/types.ts';
import { createStderrLogger, type CatalogLike, type ServiceContext, type SimulationRunner } from '../service/context.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';
import { createRunResultStore } from '../store/run-result-store.ts';
import { createRemoteClient } from '../remote/index.ts';
import type { AccountStore } from '../store/index.ts';
import { createGatewayPayments } from './payments-wiring.ts';

export interface GatewayContext {
  ctx: ServiceContext;
  /** Creates the worker pool now if it does not exist yet (throws SANDBOX_UNAVAILABLE when required). */
  warmUp: () => void;
  close: () => Promise<void>;
}

export interface GatewayContextOptions {
  sandbox: SandboxMode;
  lazyPool?: boolean;
  /** Worker processes (default config.pool.size; the one-shot CLI uses 1). */
  poolSize?: number;
  /** Compile sources-only FMUs on first use (default true). The compiler runs outside the worker sandbox. */
  compileSources?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Called once when the pool is created (the CLI says on stderr when it runs unsandboxed). */
  onPoolCreated?: (isolation: IsolationReport) => void;
  /** Catalog to serve (default: the built library). */
  catalog?: CatalogLike;
  /** The face's open account store (serve): payments keep their records there. */
  accounts?: AccountStore;
  /**
   * Open FMUs (hash, unpack, parse modelDescription.xml) in a worker thread so a big description
   * does not stall the event loop. On for the servers; the one-shot CLI opens inline.
   */
  openOffThread?: boolean;
}

export function createGatewayContext(config: Config, opts: GatewayContextOptions): GatewayContext {
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.cacheDir, { recursive: true });
  let pool: WorkerPool | undefined;
  const getPool = (): WorkerPool => {
    if (pool !== undefined) return pool;
    pool = createWorkerPool({
      size: opts.poolSize ?? config.pool.size,
      queueLength: config.pool.queueLength,
      timeoutMs: config.limits.simTimeoutSeconds * 1000,
      memoryMb: config.limits.simMemoryMb,
      maxOutputRows: config.limits.maxOutputRows,
      sandbox: opts.sandbox,
      cacheDir: config.cacheDir,
    });
    opts.onPoolCreated?.(pool.isolation);
    return pool;
  };
  if (opts.lazyPool !== true) getPool();
  const runner: SimulationRunner = {
    run: (job, runOpts) => getPool().run(job, runOpts),
    get isolation(): IsolationReport {
      return getPool().isolation;
    },
  };
  const ctx: ServiceContext = {
    config,
    catalog: opts.catalog ?? createCatalog(),
    fmuStore: createFmuFileStore(config.dataDir),
    results: createRunResultStore(config.dataDir),
    runner,
    logger: createStderrLogger(opts.logLevel ?? 'info'),
  };
  // FMU_GATEWAY_URL: the hosted gateway the remote / auto modes forward to.
  const remote = createRemoteClient(config);
  if (remote !== undefined) ctx.remote = remote;
  if (opts.openOffThread === true) ctx.openFmu = openFmuAsync;
  if (opts.compileSources !== false) {
    // Sources-only FMUs are compiled once, on first use, into the cache (a compiler child process).
    ctx.ensureBinary = async (fmu, iface, build) =>
      (await ensureBinary(fmu, iface, { cacheDir: config.cacheDir, ...(build === undefined ? {} : { build }) })).path;
  }
  const payments = createGatewayPayments(config, ctx.logger, opts.accounts);
  if (payments.payments !== undefined) ctx.payments = payments.payments;
  return {
    ctx,
    warmUp: () => void getPool(),
    close: async () => {
      await pool?.close();
      await remote?.close();
      await payments.close();
    },
  };
}
