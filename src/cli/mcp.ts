/**
 * `fmu-gateway mcp`: the MCP server over stdio, for a client on this machine (Claude Desktop,
 * Claude Code, ...). stdout carries only JSON-RPC: the stdout guard is installed before anything
 * else is loaded, and all logs go to stderr. Exits when the client closes stdin.
 */
import type { Config } from '../config.ts';
import { EarlyFront, loadEarlyAnswers } from '../mcp/stdio-early.ts';
import { guardStdout } from '../mcp/stdio-guard.ts';
import type { EarlyRuns } from '../mcp/early-runs.ts';
import type { WorkerPool } from '../runner/types.ts';
import { markStartup } from '../startup-trace.ts';
import type { PoolChoices } from './pool-options.ts';

const USAGE = `fmu-gateway mcp — MCP server over stdio (stdout: protocol only; logs: stderr)

Options:
  --allow-unsandboxed   accepted for symmetry with serve; stdio always runs workers
                        with the best isolation available (sandbox when possible)
  --no-compile-sources  do not compile sources-only FMUs here (in FMU_GATEWAY_MODE=auto
                        they then run on the remote gateway)
  -h, --help            this text
`;

export async function runMcpCommand(argv: string[]): Promise<number> {
  guardStdout();
  let compileSources = true;
  for (const arg of argv) {
    if (arg === '--no-compile-sources') {
      compileSources = false;
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      process.stderr.write(USAGE);
      return 0;
    }
    if (arg !== '--allow-unsandboxed') {
      process.stderr.write(`fmu-gateway mcp: unknown option "${arg}"\n\n${USAGE}`);
      return 2;
    }
  }
  // The MCP stdio shutdown sequence ends with SIGTERM (after closing stdin), and a terminal sends
  // SIGINT: stop the workers before exiting. Node's default would exit at once, and without the
  // sandbox's die-with-parent a worker busy in FMU code would outlive us. Installed first: the
  // pool's workers start while the context is still being created, and a signal then must wait
  // for that context to close them.
  const onSignal = (): void => {
    if (shutdown.requested) return;
    shutdown.requested = true;
    if (shutdown.close !== undefined) void shutdown.close().finally(() => process.exit(0));
    else if (shutdown.creating)
      return; // serveWithPool closes the context as soon as it exists, then exits
    else if (shutdown.pool !== undefined) void shutdown.pool.close().finally(() => process.exit(0));
    else process.exit(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await serveMcp(compileSources);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/**
 * The stdio server's pool choices, the same for the pool started with the command (startMcpPool)
 * and for the context (which would otherwise make it): everything else comes from the user's
 * config (pool size, spare workers, limits), as for `serve`.
 */
const MCP_POOL: PoolChoices = { sandbox: 'auto', cacheSelfTest: true, singleCaller: true };

/** The parsing thread starts at the first answer, or this long after the server is up (a client that only lists). */
const PARSE_THREAD_LATEST_MS = 2000;

/** How long the server's loading waits for an early run's answer (a long run is answered by the server, which takes it). */
const EARLY_RUN_WAIT_MS = 1000;

/** FMU_GATEWAY_MCP_EARLY_RUN=0 turns early runs off (a diagnostic switch; tests compare both ways). */
function earlyRunsOn(): boolean {
  // eslint-disable-next-line no-restricted-properties -- a diagnostic switch of this face, like FMU_GATEWAY_MCP_EARLY, not configuration
  return process.env.FMU_GATEWAY_MCP_EARLY_RUN !== '0';
}

/** What a SIGTERM/SIGINT must stop, as start-up goes on. */
const shutdown: { requested: boolean; creating: boolean; pool?: WorkerPool; close?: () => Promise<void> } = {
  requested: false,
  creating: false,
};

async function serveMcp(compileSources: boolean): Promise<number> {
  // stdin is read from now on: the handshake is answered from the build's recording while the
  // rest loads (src/mcp/stdio-early.ts).
  // eslint-disable-next-line no-restricted-properties -- the recording applies only to the environment it was made in (LISTING_ENV), checked before config exists
  const early = loadEarlyAnswers(process.env, import.meta.url.endsWith('.ts') ? 'sources' : 'bundle');
  markStartup(`mcp: early answers: ${early.why}`);
  const front = new EarlyFront({
    ...(early.answers === undefined ? {} : { answers: early.answers }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    // The worker pool first of all: a worker takes ~0.2 s to boot on the other core, the longest
    // part of the first simulate, and it boots while the handshake is answered and the server loads.
    const started = await startMcpPool();
    if (started !== undefined) {
      shutdown.pool = started.pool;
      if (shutdown.requested) {
        await started.pool.close();
        process.exit(0);
      }
    }
    try {
      // A process that only ever saw the handshake ends here (its workers stopped by the finally).
      if (!(await Promise.race([front.wanted.then(() => true), front.done.then(() => false)]))) return 0;
      return await serveWithPool(front, compileSources, started);
    } finally {
      // Stopped here only when no context took it over (the context's close stops it).
      if (shutdown.close === undefined) await started?.pool.close();
    }
  } finally {
    await front.close();
  }
}

/**
 * The server's worker pool, made from the config the moment the command starts, with the options
 * the context would give it (MCP_POOL, config.pool.*; gateway-context.ts getPool). Undefined when
 * the config or the pool cannot be made here: the context then makes them and reports why with its
 * coded error (CONFIG_INVALID), after the handshake, as without this head start.
 */
async function startMcpPool(): Promise<{ config: Config; pool: WorkerPool } | undefined> {
  const [{ loadConfig }, { createWorkerPool }, { workerPoolOptions }, { runStoreDir }, { createStderrLogger }] = await Promise.all([
    import('../config.ts'),
    import('../runner/pool.ts'),
    import('./pool-options.ts'),
    import('./local-pool.ts'),
    import('../service/context.ts'),
  ]);
  let config: Config;
  try {
    config = loadConfig();
  } catch {
    return undefined;
  }
  // The context's logger level (createGatewayContext's default) and the same warn route for the pool's lines.
  const logger = createStderrLogger('info');
  try {
    const pool = createWorkerPool(workerPoolOptions(config, MCP_POOL, runStoreDir(config), (m, d) => logger.warn(m, d)));
    return { config, pool };
  } catch {
    return undefined;
  }
}

async function serveWithPool(
  front: EarlyFront,
  compileSources: boolean,
  started: { config: Config; pool: WorkerPool } | undefined,
): Promise<number> {
  // Loaded after the guard so nothing they print at import time can reach stdout.
  // The early runs' code (the service's simulate) with the context's: one batch of module loading.
  const [{ loadConfig }, { createGatewayContext }, early] = await Promise.all([
    import('../config.ts'),
    import('./gateway-context.ts'),
    earlyRunsOn() ? import('../mcp/early-runs.ts') : undefined,
  ]);
  // The client may have gone meanwhile (it only wanted the handshake).
  if (front.closed || shutdown.requested) return 0;
  shutdown.creating = true;
  const { ctx, close } = await createGatewayContext(started?.config ?? loadConfig(), {
    ...MCP_POOL,
    lazyPool: true,
    // Without a pool started already: the pool before the catalog and the rest of the context.
    startPoolFirst: true,
    ...(started === undefined ? {} : { pool: started.pool }),
    openOffThread: true,
    deferParseThread: true,
    compileSources,
  });
  markStartup('mcp: context created');
  shutdown.close = close;
  if (shutdown.requested) {
    // Signalled while the context was being created: its workers are stopped before exiting.
    await close();
    process.exit(0);
  }
  try {
    // The first simulate starts now if it is queued already (or comes before the server is up):
    // its FMU is opened and its job reaches the worker while the SDK and the tools load.
    // When it is over before the server is up, the front writes its answer (the same bytes).
    let earlyRuns: EarlyRuns | undefined;
    if (early !== undefined) {
      const runs = (earlyRuns = early.createEarlyRuns(ctx, {
        waiting: (id) => front.isQueued(id),
        write: (id, result) => void front.answerQueued(id, result),
      }));
      front.watchQueue((m) => runs.consider(m));
      // The early run's job is on its worker: the SDK's ~0.1 s of loading would hold its answer
      // back (one thread), so it loads after that answer, or after a bounded wait for a long run.
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([runs.over(), new Promise<void>((resolve) => (waited = setTimeout(resolve, EARLY_RUN_WAIT_MS)))]);
      clearTimeout(waited);
      // The client had what it came for and left (stdin closed, every request answered).
      if (front.closed) return 0;
    }
    const [{ createMcpServer }, { serveStdio }, { startParseThread }] = await Promise.all([
      import('../mcp/server.ts'),
      import('../mcp/stdio.ts'),
      import('../fmi/archive-async.ts'),
    ]);
    markStartup('mcp: modules loaded');
    let first = true;
    // The factory runs once per connection (and once more for a 2026-07-28 discovery probe).
    const createServer = () => {
      const server = createMcpServer(ctx, { transport: 'stdio', ...(earlyRuns === undefined ? {} : { earlyRuns }) });
      markStartup('mcp: server created');
      if (first) {
        first = false;
        // Connected next: every queued call reaches the server, which takes its early run.
        earlyRuns?.settle();
        setImmediate(() => ctx.logger.info('mcp stdio server ready', { isolation: ctx.runner.isolation.level }));
        // The FMU parsing thread (used by uploads; an upload starts it anyway) loads once the
        // first answer is out, not while the first call competes for the CPU with the workers.
        const later = setTimeout(startParseThread, PARSE_THREAD_LATEST_MS);
        later.unref();
        void front.firstAnswer.then(() => {
          clearTimeout(later);
          setImmediate(startParseThread);
        });
      }
      return server;
    };
    await serveStdio(createServer, { front, log: (line) => ctx.logger.warn(line) });
    return 0;
  } finally {
    await close();
  }
}
