/**
 * Composition root of the one-shot CLI commands (info, simulate, library): like the servers'
 * gateway context, but the worker pool is created only when a simulation actually runs, with
 * one worker (a single run needs no more), and the isolation level is said once on stderr.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { ensureBinary } from '../fmi/source-build.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { IsolationReport, WorkerPool } from '../runner/types.ts';
import { createStderrLogger, type CatalogLike, type ServiceContext, type SimulationRunner } from '../service/context.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';
import { createRunResultStore } from '../store/run-result-store.ts';

export interface LocalContext {
  ctx: ServiceContext;
  close(): Promise<void>;
}

export function createLocalContext(
  config: Config,
  opts: { catalog: CatalogLike; poolSize?: number },
): LocalContext {
  mkdirSync(config.cacheDir, { recursive: true });
  let pool: WorkerPool | undefined;
  const getPool = (): WorkerPool => {
    if (pool === undefined) {
      pool = createWorkerPool({
        size: opts.poolSize ?? 1,
        queueLength: config.pool.queueLength,
        timeoutMs: config.limits.simTimeoutSeconds * 1000,
        memoryMb: config.limits.simMemoryMb,
        maxOutputRows: config.limits.maxOutputRows,
        sandbox: 'auto',
        cacheDir: config.cacheDir,
      });
      reportIsolationOnce(pool.isolation);
    }
    return pool;
  };
  const runner: SimulationRunner = {
    run: (job, runOpts) => getPool().run(job, runOpts),
    get isolation(): IsolationReport {
      return getPool().isolation;
    },
  };
  const ctx: ServiceContext = {
    config,
    catalog: opts.catalog,
    fmuStore: createFmuFileStore(config.dataDir),
    results: createRunResultStore(config.dataDir),
    runner,
    // Sources-only FMUs are compiled once, on first use, into the cache.
    ensureBinary: async (fmu, iface) => (await ensureBinary(fmu, iface, { cacheDir: config.cacheDir })).path,
    // The CLI's stdout is its answer; only warnings and errors go to stderr.
    logger: createStderrLogger('warn'),
  };
  return { ctx, close: async () => pool?.close() };
}

/** One line on stderr when FMUs run without the full sandbox (the CLI runs one's own FMUs anyway). */
function reportIsolationOnce(isolation: IsolationReport): void {
  if (isolation.level === 'sandboxed') return;
  process.stderr.write(
    `note: simulations run in separate processes without a sandbox (${isolation.missing.join('; ') || 'not available'}); run \`fmu-gateway doctor\` for details\n`,
  );
}
