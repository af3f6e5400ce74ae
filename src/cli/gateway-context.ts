/**
 * Composition root for the long-running faces (mcp, serve): config → stores, catalog, worker pool
 * → ServiceContext. Returns a close() that stops the pool, so a server exits without orphans.
 *
 * `lazyPool`: the pool (whose sandbox self-test takes a few hundred ms) is created on first use or
 * by warmUp(), so the stdio server can answer `initialize` first and start the pool right after.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { ensureBinary } from '../fmi/source-build.ts';
import { createCatalog } from '../library/catalog.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { IsolationReport, SandboxMode, WorkerPool } from '../runner/types.ts';
import { createStderrLogger, type ServiceContext, type SimulationRunner } from '../service/context.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';
import { createRunResultStore } from '../store/run-result-store.ts';

export interface GatewayContext {
  ctx: ServiceContext;
  /** Creates the worker pool now if it does not exist yet (throws SANDBOX_UNAVAILABLE when required). */
  warmUp: () => void;
  close: () => Promise<void>;
}

export function createGatewayContext(config: Config, opts: { sandbox: SandboxMode; lazyPool?: boolean }): GatewayContext {
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.cacheDir, { recursive: true });
  let pool: WorkerPool | undefined;
  const getPool = (): WorkerPool => {
    pool ??= createWorkerPool({
      size: config.pool.size,
      queueLength: config.pool.queueLength,
      timeoutMs: config.limits.simTimeoutSeconds * 1000,
      memoryMb: config.limits.simMemoryMb,
      maxOutputRows: config.limits.maxOutputRows,
      sandbox: opts.sandbox,
      cacheDir: config.cacheDir,
    });
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
    catalog: createCatalog(),
    fmuStore: createFmuFileStore(config.dataDir),
    results: createRunResultStore(config.dataDir),
    runner,
    // Sources-only FMUs are compiled once, on first use, into the cache (a compiler child process).
    ensureBinary: async (fmu, iface) => (await ensureBinary(fmu, iface, { cacheDir: config.cacheDir })).path,
    logger: createStderrLogger(),
  };
  return { ctx, warmUp: () => void getPool(), close: async () => pool?.close() };
}
