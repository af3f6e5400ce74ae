/**
 * Composition root of the one-shot CLI commands (info, simulate, library, sweep): the servers'
 * gateway context with one worker (a single run needs no more), created only when a simulation
 * actually runs, quieter logs (stdout is the answer), and one stderr line when unsandboxed.
 */
import type { Config } from '../config.ts';
import type { IsolationReport } from '../runner/types.ts';
import type { CatalogLike, ServiceContext } from '../service/context.ts';
import { createGatewayContext } from './gateway-context.ts';

export interface LocalContext {
  ctx: ServiceContext;
  close(): Promise<void>;
}

export function createLocalContext(config: Config, opts: { catalog: CatalogLike; poolSize?: number }): LocalContext {
  const { ctx, close } = createGatewayContext(config, {
    sandbox: 'auto',
    lazyPool: true,
    singleCaller: true,
    poolSize: opts.poolSize ?? 1,
    logLevel: 'warn',
    catalog: opts.catalog,
    onPoolCreated: reportIsolationOnce,
  });
  return { ctx, close };
}

/** One line on stderr when FMUs run without the full sandbox (the CLI runs one's own FMUs anyway). */
function reportIsolationOnce(isolation: IsolationReport): void {
  if (isolation.level === 'sandboxed') return;
  process.stderr.write(
    `note: simulations run in separate processes without a sandbox (${isolation.missing.join('; ') || 'not available'}); run \`fmu-gateway doctor\` for details\n`,
  );
}
