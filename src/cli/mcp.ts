/**
 * `fmu-gateway mcp`: the MCP server over stdio, for a client on this machine (Claude Desktop,
 * Claude Code, ...). stdout carries only JSON-RPC: the stdout guard is installed before anything
 * else is loaded, and all logs go to stderr. Exits when the client closes stdin.
 */
import { EarlyFront, loadEarlyAnswers } from '../mcp/stdio-early.ts';
import { guardStdout } from '../mcp/stdio-guard.ts';
import { markStartup } from '../startup-trace.ts';

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
    else if (!shutdown.creating) process.exit(0);
    // else: serveWithPool closes the context as soon as it exists, then exits.
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

/** What a SIGTERM/SIGINT must stop, as start-up goes on. */
const shutdown: { requested: boolean; creating: boolean; close?: () => Promise<void> } = { requested: false, creating: false };

async function serveMcp(compileSources: boolean): Promise<number> {
  // stdin is read from now on: the handshake is answered from the build's recording while the
  // rest loads (src/mcp/stdio-early.ts); a process that only ever saw that handshake ends here.
  // eslint-disable-next-line no-restricted-properties -- the recording applies only to the environment it was made in (LISTING_ENV), checked before config exists
  const early = loadEarlyAnswers(process.env, import.meta.url.endsWith('.ts') ? 'sources' : 'bundle');
  markStartup(`mcp: early answers: ${early.why}`);
  const front = new EarlyFront({
    ...(early.answers === undefined ? {} : { answers: early.answers }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    if (!(await Promise.race([front.wanted.then(() => true), front.done.then(() => false)]))) return 0;
    return await serveWithPool(front, compileSources);
  } finally {
    await front.close();
  }
}

async function serveWithPool(front: EarlyFront, compileSources: boolean): Promise<number> {
  // Loaded after the guard so nothing they print at import time can reach stdout. The context
  // (config, stores, worker pool) first: the pool's worker then boots on the other core while
  // the SDK and the tools load.
  const [{ loadConfig }, { createGatewayContext }] = await Promise.all([import('../config.ts'), import('./gateway-context.ts')]);
  // The client may have gone meanwhile (it only wanted the handshake): then start no workers.
  if (front.closed || shutdown.requested) return 0;
  shutdown.creating = true;
  const { ctx, close } = await createGatewayContext(loadConfig(), {
    sandbox: 'auto',
    lazyPool: true,
    // The pool before the catalog and the rest of the context: its workers boot meanwhile.
    startPoolFirst: true,
    singleCaller: true,
    openOffThread: true,
    deferParseThread: true,
    compileSources,
    cacheSelfTest: true,
  });
  markStartup('mcp: context created');
  shutdown.close = close;
  if (shutdown.requested) {
    // Signalled while the context was being created: its workers are stopped before exiting.
    await close();
    process.exit(0);
  }
  try {
    const [{ createMcpServer }, { serveStdio }, { startParseThread }] = await Promise.all([
      import('../mcp/server.ts'),
      import('../mcp/stdio.ts'),
      import('../fmi/archive-async.ts'),
    ]);
    markStartup('mcp: modules loaded');
    let first = true;
    // The factory runs once per connection (and once more for a 2026-07-28 discovery probe).
    const createServer = () => {
      const server = createMcpServer(ctx, { transport: 'stdio' });
      markStartup('mcp: server created');
      if (first) {
        first = false;
        // The FMU parsing thread (used by uploads) loads once the first requests are being served.
        setImmediate(() => {
          startParseThread();
          ctx.logger.info('mcp stdio server ready', { isolation: ctx.runner.isolation.level });
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
