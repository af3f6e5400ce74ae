/**
 * The HTTP server bootstrap on Fastify: the DNS-rebinding checks (Host/Origin) run first on every
 * request, then the routes; one error handler turns whatever a route throws into the coded REST
 * error body. Request timeouts cover receiving a request only (a slow client is cut off), never a
 * long answer (a simulation streaming progress).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { GatewayError, isGatewayError } from '../errors.ts';
import { restErrorOf } from './error-status.ts';
import { checkHost, checkOrigin, type OriginPolicy } from './security.ts';

export interface HttpServerOptions {
  /** Built once the port is known (the policy depends on it, and port 0 picks one). */
  policy: (port: number) => OriginPolicy;
  /** Adds the routes (Fastify plugins), before the server listens. */
  register: (app: FastifyInstance) => Promise<void> | void;
  log?: (line: string) => void;
  /** Longest time a client may take to send one whole request, headers and body (default 5 min). */
  requestTimeoutMs?: number;
  /** Largest JSON body of the REST routes (default 1 MiB; uploads are multipart and /mcp reads its own). */
  bodyLimit?: number;
}

/** Node's own default: room for a large upload on a slow link. */
const REQUEST_TIMEOUT_MS = 300_000;

export interface RunningHttpServer {
  app: FastifyInstance;
  server: Server;
  url: string;
  port: number;
  /**
   * Stops accepting connections and resolves once all are closed: idle ones at once, busy ones
   * after they finish or, at the latest, after `graceMs` (default 0: cut at once).
   */
  close: (graceMs?: number) => Promise<void>;
}

/** A Fastify or plugin error → a GatewayError with the status it asked for (4xx) or INTERNAL. */
function fromFrameworkError(err: FastifyError): { error: GatewayError; status?: number } {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid' }));
    return {
      error: new GatewayError(
        'BAD_REQUEST',
        `Invalid request ${err.validationContext ?? 'input'}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
        {
          issues,
          hint: 'Check the request against GET /openapi.json and send it again.',
        },
      ),
    };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST';
    return { error: new GatewayError(code, err.message, err.code !== undefined ? { framework_code: err.code } : undefined), status };
  }
  return { error: new GatewayError('INTERNAL', 'Internal server error.') };
}

export async function startHttpServer(opts: HttpServerOptions, listen: { host: string; port: number }): Promise<RunningHttpServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Set once listening (the port, hence the policy, is known only then).
  const state: { policy?: OriginPolicy } = {};

  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // These limits cover receiving a request only, not the answer. Without them a client sending its
  // body a byte a minute would hold a connection forever. Set at construction: Node reads them
  // when tracking starts.
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(60_000, requestTimeout),
    // How often Node checks those deadlines (its default, 30 s, is coarse for short limits).
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
  };
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Idle keep-alive connections are closed by app.close(); busy ones get the grace period.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => createServer(timeouts, handler),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (req, reply) => {
    const policy = state.policy;
    if (policy === undefined) {
      const { body } = restErrorOf(new GatewayError('INTERNAL', 'Server is starting.'));
      return reply.code(503).send(body);
    }
    const host = checkHost(policy, req.headers.host);
    const origin = host.ok ? checkOrigin(policy, req.headers.origin) : host;
    if (!origin.ok) {
      const { body } = restErrorOf(
        new GatewayError('UNAUTHORIZED', origin.reason, { hint: 'See --allowed-host / --allowed-origin in `fmu-gateway serve --help`.' }),
      );
      return reply.code(403).send(body);
    }
    return undefined;
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let status: number | undefined;
    let error: GatewayError;
    if (isGatewayError(err)) error = err;
    else ({ error, status } = fromFrameworkError(err));
    if (error.code === 'INTERNAL') log(`http: ${req.method} ${req.url} failed: ${err.stack ?? err.message}`);
    const out = restErrorOf(error);
    if (error.code === 'UNAUTHORIZED' && (status ?? out.status) === 401) void reply.header('www-authenticate', 'Bearer');
    // Any coded refusal that knows when to come back (SERVER_BUSY, ...) says so in the standard header.
    const retryAfter = error.data?.retry_after_seconds;
    if (typeof retryAfter === 'number' && Number.isFinite(retryAfter))
      void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    return reply.code(status ?? out.status).send(out.body);
  });

  app.setNotFoundHandler((req, reply) => {
    const { body } = restErrorOf(
      new GatewayError('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0] ?? ''}.`, {
        hint: 'GET /openapi.json lists the REST routes (GET /docs renders them); MCP is served at POST /mcp.',
      }),
    );
    return reply.code(404).send(body);
  });

  await opts.register(app);
  await app.listen({ host: listen.host, port: listen.port });
  const server = app.server;
  const port = (server.address() as AddressInfo).port;
  state.policy = opts.policy(port);
  const hostForUrl = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    server,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: (graceMs = 0) => {
      closing ??= (async () => {
        if (graceMs <= 0) server.closeAllConnections();
        else setTimeout(() => server.closeAllConnections(), graceMs).unref();
        await app.close();
      })();
      return closing;
    },
  };
}
