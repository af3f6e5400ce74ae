/**
 * Composition root of the one-shot CLI commands (info, simulate, library, sweep): the servers'
 * gateway context with one worker (a single run needs no more), created only when a simulation
 * actually runs, quieter logs (stdout is the answer), and one stderr line when unsandboxed.
 */
import type { Config } from '../config.ts';
import type { IsolationReport } from '../runner/types.ts';
import type { CatalogLike, ServiceContext } from '../service/context.ts';
import type { WorkerPool } from '../runner/types.ts';
import { createGatewayContext } from './gateway-context.ts';
import { LOCAL_POOL } from './local-pool.ts';

export interface LocalContext {
  ctx: ServiceContext;
  /**
   * Starts the worker pool (and its one worker) now, so the worker boots while the caller opens
   * the FMU; without it the pool starts at the first run. Never throws (the sandbox mode is auto).
   */
  warmUp(): void;
  close(): Promise<void>;
}

export async function createLocalContext(
  config: Config,
  /**
   * startPoolFirst: see GatewayContextOptions (the one-shot simulate). catalog: default the built
   * library. pool: made already by startLocalPool (local-pool.ts), with LOCAL_POOL's options.
   */
  opts: { catalog?: CatalogLike; poolSize?: number; startPoolFirst?: boolean; pool?: WorkerPool },
): Promise<LocalContext> {
  const { ctx, warmUp, close } = await createGatewayContext(config, {
    ...LOCAL_POOL,
    lazyPool: true,
    ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }),
    ...(opts.pool === undefined ? {} : { pool: opts.pool }),
    logLevel: 'warn',
    ...(opts.catalog === undefined ? {} : { catalog: opts.catalog }),
    ...(opts.startPoolFirst === true ? { startPoolFirst: true } : {}),
    onPoolCreated: reportIsolationOnce,
  });
  return { ctx, warmUp, close };
}

/** One line on stderr when FMUs run without the full sandbox (the CLI runs one's own FMUs anyway). */
function reportIsolationOnce(isolation: IsolationReport): void {
  if (isolation.level === 'sandboxed') return;
  process.stderr.write(
    `note: simulations run in separate processes without a sandbox (${isolation.missing.join('; ') || 'not available'}); run \`fmu-gateway doctor\` for details\n`,
  );
}
