/**
 * The HTTP server bootstrap on Fastify: the DNS-rebinding checks (Host/Origin) run first on every
 * request, then the routes; one error handler turns whatever a route throws into the coded REST
 * error body. Request timeouts cover receiving a request only (a slow client is cut off), never a
 * long answer (a simulation streaming progress).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { GatewayError, isGatewayError, toGatewayError } from '../errors.ts';
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

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) is shorter than the idle
 * timeout of the load balancers in front of a gateway (nginx upstream keepalive, AWS ALB 60 s) and
 * close to a client's own: a client whose event loop is busy when the server closes (building a
 * large upload, say) then writes its next request into a closed socket and gets EPIPE/ECONNRESET
 * for a request the server never saw. Longer than those idle timeouts, so the client side closes
 * first (Fastify's own default).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

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
  if (err.statusCode === undefined) {
    // Known environmental faults keep their code (a full disk is DISK_FULL); our bugs stay opaque.
    const known = toGatewayError(err);
    return { error: known.code === 'INTERNAL' ? new GatewayError('INTERNAL', 'Internal server error.') : known };
  }
  const status = err.statusCode;
  if (status >= 400 && status < 500) {
    const code = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST';
    return { error: new GatewayError(code, err.message, err.code !== undefined ? { framework_code: err.code } : undefined), status };
  }
  return { error: new GatewayError('INTERNAL', 'Internal server error.') };
}

/** A caller's string echoed in a message, cut to a readable length. */
function clip(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** Node's parser refused the request: answer on the raw socket, in the gateway's shape, and close. */
function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request was not received in time.']
        : err.code === 'HPE_URI_TOO_LONG' // not raised by Node today (the limit is the header size), kept for parsers that do
          ? [414, 'The request URL is too long.']
          : [400, 'The request is malformed.'];
  const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message, data: { parser_code: err.code ?? 'unknown' } } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  };
  const app = Fastify({
    logger: false,
    // What Node's parser refuses before Fastify sees a request (headers too large, a malformed
    // request line, a slow client) is answered in the gateway's error shape too.
    clientErrorHandler: answerClientError,
    // Router-level refusals (a path parameter past maxParamLength, a malformed URL), shaped too.
    frameworkErrors: (err: FastifyError, _req: unknown, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const { body } = restErrorOf(
        new GatewayError('BAD_REQUEST', tooLong ? 'The request path is too long.' : 'The request URL is malformed.', {
          framework_code: err.code,
          hint: 'Check the path against GET /openapi.json.',
        }),
      );
      return reply.code(tooLong ? 414 : 400).send(body);
    },
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

  // A multipart boundary is 1-70 characters (RFC 2046); the parser throws on longer ones from
  // inside its stream, which used to surface as an uncoded 500. Refused here, coded, first.
  app.addHook('onRequest', async (req, reply) => {
    const type = req.headers['content-type'];
    if (typeof type !== 'string' || !/^multipart\//i.test(type)) return undefined;
    const m = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(type);
    const boundary = m?.[1] ?? m?.[2];
    if (boundary !== undefined && boundary.length >= 1 && boundary.length <= 70) return undefined;
    const { body } = restErrorOf(
      new GatewayError('BAD_REQUEST', 'The multipart boundary is missing or longer than 70 characters (RFC 2046).', {
        hint: 'Let your HTTP client build the multipart body (e.g. curl -F file=@model.fmu).',
      }),
    );
    return reply.code(400).header('connection', 'close').send(body);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let status: number | undefined;
    let error: GatewayError;
    if (isGatewayError(err)) error = err;
    else ({ error, status } = fromFrameworkError(err));
    if (error.code === 'INTERNAL') log(`http: ${req.method} ${req.url} failed: ${err.stack ?? err.message}`);
    const out = restErrorOf(error);
    if (error.code === 'UNAUTHORIZED' && (status ?? out.status) === 401) void reply.header('www-authenticate', 'Bearer');
    // Any coded refusal that knows when to come back (SERVER_BUSY, STORE_UNAVAILABLE, DISK_FULL) says so.
    const retryAfter = error.data?.['retry_after_seconds'];
    if (typeof retryAfter === 'number' && retryAfter > 0) void reply.header('retry-after', String(Math.ceil(retryAfter)));
    return reply.code(status ?? out.status).send(out.body);
  });

  app.setNotFoundHandler((req, reply) => {
    const { body } = restErrorOf(
      new GatewayError('NOT_FOUND', `No route for ${req.method} ${clip(req.url.split('?')[0] ?? '')}.`, {
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
