/**
 * Composition root for the long-running faces (mcp, serve): config → stores, catalog, worker pool
 * → ServiceContext. Returns a close() that stops the pool, so a server exits without orphans.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';
import { createCatalog } from '../library/catalog.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { SandboxMode } from '../runner/types.ts';
import { createStderrLogger, type ServiceContext } from '../service/context.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';
import { createRunResultStore } from '../store/run-result-store.ts';

export interface GatewayContext {
  ctx: ServiceContext;
  close: () => Promise<void>;
}

export function createGatewayContext(config: Config, opts: { sandbox: SandboxMode }): GatewayContext {
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.cacheDir, { recursive: true });
  const pool = createWorkerPool({
    size: config.pool.size,
    queueLength: config.pool.queueLength,
    timeoutMs: config.limits.simTimeoutSeconds * 1000,
    memoryMb: config.limits.simMemoryMb,
    maxOutputRows: config.limits.maxOutputRows,
    sandbox: opts.sandbox,
    cacheDir: config.cacheDir,
  });
  const ctx: ServiceContext = {
    config,
    catalog: createCatalog(),
    fmuStore: createFmuFileStore(config.dataDir),
    results: createRunResultStore(config.dataDir),
    runner: pool,
    logger: createStderrLogger(),
  };
  return { ctx, close: () => pool.close() };
}
