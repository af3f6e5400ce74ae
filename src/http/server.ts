/**
 * The HTTP server bootstrap: node:http, Host/Origin checks first, then a small route table.
 * /mcp and /health are built in; REST routes plug in through `routes`, so the
 * security checks and error handling apply to them without them knowing about it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toGatewayError } from '../errors.ts';
import { checkHost, checkOrigin, type OriginPolicy } from './security.ts';
import { sendError } from './respond.ts';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | '*';
  /** Exact path ("/health") or a pattern whose groups the handler receives ("/fmus/([^/]+)/variables"). */
  path: string | RegExp;
  handle: (req: IncomingMessage, res: ServerResponse, params: { url: URL; groups: string[] }) => Promise<void> | void;
}

export interface HttpServerOptions {
  /** Built once the port is known (the policy depends on it, and port 0 picks one). */
  policy: (port: number) => OriginPolicy;
  routes: readonly HttpRoute[];
  log?: (line: string) => void;
  /** Longest time a client may take to send one whole request, headers and body (default 5 min). */
  requestTimeoutMs?: number;
}

/** Node's own default: room for a large upload on a slow link. */
const REQUEST_TIMEOUT_MS = 300_000;

export interface RunningHttpServer {
  server: Server;
  url: string;
  port: number;
  /**
   * Stops accepting connections and resolves once all are closed: idle ones at once, busy ones
   * after they finish or, at the latest, after `graceMs` (default 0: cut at once).
   */
  close: (graceMs?: number) => Promise<void>;
}

/** Path match only (the method is checked apart, to answer 405 rather than 404). */
function matchPath(route: HttpRoute, pathname: string): string[] | undefined {
  if (typeof route.path === 'string') return route.path === pathname ? [] : undefined;
  const m = new RegExp(`^${route.path.source}$`).exec(pathname);
  return m === null ? undefined : m.slice(1).map((g) => decodeURIComponent(g ?? ''));
}

export async function startHttpServer(opts: HttpServerOptions, listen: { host: string; port: number }): Promise<RunningHttpServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Set once listening (the port, hence the policy, is known only then).
  const state: { policy?: OriginPolicy } = {};

  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // These limits cover receiving a request only, not the answer: a simulation may stream progress
  // on its response for as long as it runs. Without them a client sending its body a byte a minute
  // would hold a connection forever. Set at construction: Node reads them when tracking starts.
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(60_000, requestTimeout),
    // How often Node checks those deadlines (its default, 30 s, is coarse for short limits).
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
  };
  const server = createServer(timeouts, (req, res) => {
    void (async () => {
      const policy = state.policy;
      if (policy === undefined) {
        sendError(res, 503, 'INTERNAL', 'Server is starting.');
        return;
      }
      const host = checkHost(policy, req.headers.host);
      const origin = host.ok ? checkOrigin(policy, req.headers.origin) : host;
      if (!origin.ok) {
        sendError(res, 403, 'UNAUTHORIZED', origin.reason);
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      let pathMatched = false;
      for (const route of opts.routes) {
        const groups = matchPath(route, url.pathname);
        if (groups === undefined) continue;
        pathMatched = true;
        if (route.method !== '*' && route.method !== method) continue;
        await route.handle(req, res, { url, groups });
        return;
      }
      if (pathMatched) sendError(res, 405, 'BAD_REQUEST', `Method ${method} is not allowed on ${url.pathname}.`);
      else
        sendError(
          res,
          404,
          'NOT_FOUND',
          `No route for ${method} ${url.pathname}. MCP is served at POST /mcp; GET /health reports the server state.`,
        );
    })().catch((e: unknown) => {
      const err = toGatewayError(e);
      log(`http: ${req.method ?? '?'} ${req.url ?? '?'} failed: ${err.message}`);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'Internal server error.');
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  state.policy = opts.policy(port);
  const hostForUrl = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    server,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (graceMs <= 0) server.closeAllConnections();
        else setTimeout(() => server.closeAllConnections(), graceMs).unref();
      }),
  };
}
