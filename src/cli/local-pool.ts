/**
 * The one-shot commands' worker pool (one worker, no spare, sandbox when available), created by
 * `simulate` right after the config is read, before the context's modules (stores, schemas,
 * service) are loaded: its worker boots on the other core meanwhile (start-up budget,
 * docs/architecture.md). Light on purpose: the pool's spawn path loads no schema.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { WorkerPool } from '../runner/types.ts';
import { createStderrLogger } from '../service/context.ts';
import { workerPoolOptions, type PoolChoices } from './pool-options.ts';

/** What the one-shot commands ask of their pool (src/cli/local-context.ts). */
export const LOCAL_POOL: PoolChoices = {
  sandbox: 'auto',
  poolSize: 1,
  // No spare: a one-shot command starts the workers its runs need, the first one with the pool.
  spareWorkers: 0,
  initialWorkers: 1,
  cacheSelfTest: true,
  singleCaller: true,
};

/** The run store's directory (src/store/run-result-store.ts: <dataDir>/runs), where results land. */
export const runStoreDir = (config: Config): string => join(config.dataDir, 'runs');

/**
 * The pool, started now; undefined when it cannot be (a data or cache folder that cannot be
 * made): the context then makes it and reports that with its coded error (CONFIG_INVALID).
 */
export function startLocalPool(config: Config): WorkerPool | undefined {
  const logger = createStderrLogger('warn');
  try {
    return createWorkerPool(workerPoolOptions(config, LOCAL_POOL, runStoreDir(config), (m, d) => logger.warn(m, d)));
  } catch {
    return undefined;
  }
}
