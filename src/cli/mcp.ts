/**
 * `fmu-gateway mcp`: the MCP server over stdio, for a client on this machine (Claude Desktop,
 * Claude Code, ...). stdout carries only JSON-RPC: the stdout guard is installed before anything
 * else is loaded, and all logs go to stderr. Exits when the client closes stdin.
 */
import { guardStdout, serveStdio } from '../mcp/stdio.ts';
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
  // Loaded after the guard so nothing they print at import time can reach stdout.
  // Requested together: the loader reads and links the three module graphs at once.
  const [{ loadConfig }, { createGatewayContext }, { createMcpServer }] = await Promise.all([
    import('../config.ts'),
    import('./gateway-context.ts'),
    import('../mcp/server.ts'),
  ]);
  markStartup('mcp: modules loaded');

  const { ctx, warmUp, close } = await createGatewayContext(loadConfig(), {
    sandbox: 'auto',
    lazyPool: true,
    singleCaller: true,
    openOffThread: true,
    compileSources,
    cacheSelfTest: true,
  });
  // Start the worker pool once the client's first message has been answered (its sandbox
  // self-test takes ~0.4 s); a tool call arriving earlier creates it on demand. The factory runs
  // once per connection (and once more for a 2026-07-28 discovery probe).
  markStartup('mcp: context created');
  let warm = false;
  const createServer = () => {
    if (!warm) {
      warm = true;
      setImmediate(() => {
        warmUp();
        markStartup('mcp: pool started');
        ctx.logger.info('mcp stdio server ready', { isolation: ctx.runner.isolation.level });
      });
    }
    const server = createMcpServer(ctx, { transport: 'stdio' });
    markStartup('mcp: server created');
    return server;
  };
  // The MCP stdio shutdown sequence ends with SIGTERM (after closing stdin), and a terminal sends
  // SIGINT: stop the workers before exiting. Node's default would exit at once, and without the
  // sandbox's die-with-parent a worker busy in FMU code would outlive us.
  const onSignal = (): void => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await serveStdio(createServer, { log: (line) => ctx.logger.warn(line) });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await close();
  }
  return 0;
}
