/**
 * The worker pool's options from the config and a face's choices: one definition for the
 * gateway context (src/cli/gateway-context.ts) and the one-shot `simulate`, which creates its
 * pool before it loads the context's modules (src/cli/local-pool.ts). A light module on purpose:
 * it imports no schema, store or service code.
 */
import type { Config } from '../config.ts';
import type { SandboxMode, WorkerPoolOptions } from '../runner/types.ts';

export interface PoolChoices {
  sandbox: SandboxMode;
  /** Worker processes (default config.pool.size). */
  poolSize?: number;
  /** Fresh workers kept warm (default poolSize). */
  spareWorkers?: number;
  /** Workers started with the pool beyond the spares. */
  initialWorkers?: number;
  /** Reuse the sandbox self-test's remembered positive verdict. */
  cacheSelfTest?: boolean;
  /** One caller only: it may use every worker. */
  singleCaller?: boolean;
}

export function workerPoolOptions(
  config: Config,
  choices: PoolChoices,
  /** The run store's directory: workers write result files beside it, adopted by rename. */
  resultDir: string,
  log: (message: string, data?: Record<string, unknown>) => void,
): WorkerPoolOptions {
  const poolSize = choices.poolSize ?? config.pool.size;
  return {
    size: poolSize,
    // Admission bounds simulate requests before they get here; sweeps add their runs on top.
    queueLength: config.pool.queueLength * 4,
    spareWorkers: choices.spareWorkers ?? poolSize,
    ...(choices.initialWorkers === undefined ? {} : { initialWorkers: choices.initialWorkers }),
    ...(choices.cacheSelfTest === true ? { cacheSelfTest: true } : {}),
    ...(choices.singleCaller === true ? { maxBusyPerCaller: poolSize } : {}),
    maxLingeringWorkers: config.pool.idleWorkers,
    reuseIdleMs: config.pool.lingerMs,
    log,
    timeoutMs: config.limits.simTimeoutSeconds * 1000,
    memoryMb: config.limits.simMemoryMb,
    maxOutputRows: config.limits.maxOutputRows,
    sandbox: choices.sandbox,
    cacheDir: config.cacheDir,
    resultDir,
  };
}
