/**
 * `fmu-gateway serve`: the REST API and MCP over Streamable HTTP at /mcp, bound to 127.0.0.1
 * unless --host says otherwise. Zero configuration: accounts on a SQLite file (DESIGN.md's
 * resolution order), or PostgreSQL / Redis by DATABASE_URL / REDIS_URL. Prints the bound URL on
 * stderr (tests read it with --port 0). Runs the retention sweep periodically.
 * The worker sandbox is required unless --allow-unsandboxed: a network service runs strangers' FMUs.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { startGatewayHttp } from '../http/app.ts';
import { sweepRetention } from '../service/index.ts';
import { openAccountStore } from '../store/index.ts';
import { createGatewayContext } from './gateway-context.ts';
import { attachScaleOut } from './scale-wiring.ts';

const USAGE = `fmu-gateway serve — MCP (Streamable HTTP at /mcp) and REST API

Options:
  --port N               port to listen on (default 8000; 0 = any free port)
  --host H               address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --allowed-host NAME    extra Host header value to accept (repeatable), e.g. a LAN name with --host 0.0.0.0
  --allowed-origin URL   extra browser Origin to accept (repeatable), e.g. https://app.example.com
  --allow-unsandboxed    run workers without the OS sandbox when it is unavailable (process isolation only)
  --no-compile-sources   do not compile uploaded sources-only FMUs (by default they are compiled on first
                         use with the system C compiler, inside the same sandbox as the workers when
                         there is one)
  -h, --help             this text
`;

/** How long in-flight answers may take to go out on shutdown. */
const SHUTDOWN_GRACE_MS = 1000;

/** How often the retention sweep runs: a tenth of the TTL, between a minute and an hour. */
function sweepIntervalMs(ttlHours: number): number {
  return Math.min(3_600_000, Math.max(60_000, (ttlHours * 3_600_000) / 10));
}

export async function runServeCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '8000' },
        host: { type: 'string', default: '127.0.0.1' },
        'allowed-host': { type: 'string', multiple: true, default: [] },
        'allowed-origin': { type: 'string', multiple: true, default: [] },
        'allow-unsandboxed': { type: 'boolean', default: false },
        'no-compile-sources': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`fmu-gateway serve: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new GatewayError('BAD_REQUEST', `--port expects an integer 0-65535, got "${values.port}"`);
  }

  const config = loadConfig();
  let accounts;
  try {
    accounts = await openAccountStore(config);
  } catch (e) {
    throw new GatewayError('BAD_REQUEST', (e as Error).message, {
      hint: 'Check DATABASE_URL / REDIS_URL, or unset them to use the SQLite file (FMU_GATEWAY_DB_PATH).',
    });
  }
  const queued = config.scale.queueUrl !== undefined;
  const { ctx, close: closeContext } = await createGatewayContext(config, {
    accounts,
    sandbox: values['allow-unsandboxed'] ? 'auto' : 'required',
    compileSources: !values['no-compile-sources'],
    openOffThread: true,
    // With a job queue, worker nodes run the simulations: this API node starts no pool.
    lazyPool: queued,
  });
  let scale;
  try {
    scale = await attachScaleOut(ctx, config);
  } catch (e) {
    await closeContext();
    await accounts.close();
    throw e;
  }
  const close = async (): Promise<void> => {
    await scale?.close();
    await closeContext();
  };
  const iso = ctx.runner.isolation;
  if (!queued && iso.level !== 'sandboxed') {
    ctx.logger.warn('workers run WITHOUT the OS sandbox (--allow-unsandboxed)', { missing: iso.missing });
  }
  let http;
  try {
    http = await startGatewayHttp(ctx, {
      host: values.host,
      port,
      accounts,
      allowedHosts: values['allowed-host'],
      allowedOrigins: values['allowed-origin'],
      ...(scale?.rateLimitRedis !== undefined ? { rateLimitRedis: scale.rateLimitRedis } : {}),
    });
  } catch (e) {
    await close();
    await accounts.close();
    throw new GatewayError('BAD_REQUEST', `Cannot listen on ${values.host}:${port}: ${(e as Error).message}`, {
      hint: 'Choose another --port (or 0 for any free port), or stop the process using it.',
    });
  }
  // The one line tests and scripts parse: keep its shape stable.
  process.stderr.write(`fmu-gateway: MCP endpoint ${http.url}/mcp (isolation: ${queued ? 'worker nodes' : iso.level})\n`);
  ctx.logger.info('serving', { rest: http.url, docs: `${http.url}/docs`, store: accounts.backend, store_location: accounts.location });

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = (): void => {
    sweeping = sweepRetention(ctx, accounts).catch((e: unknown) =>
      ctx.logger.error('retention sweep failed', { error: (e as Error).message }),
    );
  };
  sweep();
  const sweeper = setInterval(sweep, sweepIntervalMs(config.accounts.resultTtlHours));
  sweeper.unref();

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Stop taking connections, then stop the pool: runs still going end with CANCELLED, and those
  // answers get a moment to reach their clients before the remaining connections are cut.
  clearInterval(sweeper);
  const closing = http.close(SHUTDOWN_GRACE_MS);
  await close();
  await closing;
  await sweeping;
  await accounts.close();
  return 0;
}
