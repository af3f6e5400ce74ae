/**
 * The gateway's HTTP application: security policy, Bearer auth, rate limits, the REST route
 * groups (src/http/routes/), /mcp, /openapi.json and /docs, in one Fastify server.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.ts';
import { createMcpServer } from '../mcp/server.ts';
import type { AccountStore, ServiceContext } from '../service/index.ts';
import { registerAdmissionCheck, registerAuth, type SharedLimitRedis } from './auth.ts';
import { CancelRegistry } from './cancel-registry.ts';
import type { RestDeps } from './deps.ts';
import { createMcpEndpoint } from './mcp-endpoint.ts';
import { registerDocs } from './routes/docs.ts';
import { ROUTE_GROUPS, type RouteGroup } from './routes/index.ts';
import { createOriginPolicy, withPublicBaseUrl } from './security.ts';
import { startHttpServer, type RunningHttpServer } from './server.ts';

export interface GatewayHttpOptions {
  host: string;
  port: number;
  accounts: AccountStore;
  /** Extra Host header values to accept ("name" or "name:port"), e.g. a LAN name with --host 0.0.0.0. */
  allowedHosts?: readonly string[];
  /** Extra browser origins to accept ("https://app.example.com"). */
  allowedOrigins?: readonly string[];
  /** Route groups beyond the built-in ones. */
  extraRoutes?: readonly RouteGroup[];
  requestTimeoutMs?: number;
  /** A Redis client (ioredis) for rate-limit counters shared by every API node (scale-out); default in memory. */
  rateLimitRedis?: unknown;
}

/** Largest JSON body of an MCP request: a base64 FMU (4/3 of its size) plus the envelope. */
export function mcpBodyLimit(maxFmuBytes: number): number {
  return Math.ceil((maxFmuBytes * 4) / 3) + 1024 * 1024;
}

export async function startGatewayHttp(ctx: ServiceContext, opts: GatewayHttpOptions): Promise<RunningHttpServer> {
  const log = (line: string): void => ctx.logger.warn(line);
  const mcp = createMcpEndpoint({
    createServer: () => createMcpServer(ctx, { transport: 'http' }),
    maxBodyBytes: mcpBodyLimit(ctx.config.limits.maxFmuBytes),
    registry: new CancelRegistry(),
    log,
  });
  const deps: RestDeps = {
    ctx,
    accounts: opts.accounts,
    mcp,
    createMcpServer: (scoped, callerId) => createMcpServer(scoped, { transport: 'http', ...(callerId === undefined ? {} : { callerId }) }),
  };
  const perMinute = ctx.config.accounts.rateLimitPerMinute;
  return startHttpServer(
    {
      policy: (port) =>
        withPublicBaseUrl(
          createOriginPolicy({ host: opts.host, port, extraHosts: opts.allowedHosts, extraOrigins: opts.allowedOrigins }),
          ctx.config.publicBaseUrl,
        ),
      log,
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      // A simulate request with long input signals is the largest JSON body.
      bodyLimit: 16 * 1024 * 1024,
      register: async (app) => {
        // Failed authentications are counted across API nodes too when they share a Redis (scale-out).
        registerAuth(app, deps, opts.rateLimitRedis as SharedLimitRedis | undefined);
        registerAdmissionCheck(app, ctx);
        // After auth (preHandler): a key's requests share one budget wherever they come from.
        await app.register(rateLimit, {
          global: true,
          hook: 'preHandler',
          max: perMinute,
          timeWindow: 60_000,
          // Several API nodes: one budget per key across all of them (src/queue/shared-limits.ts).
          ...(opts.rateLimitRedis !== undefined
            ? { redis: opts.rateLimitRedis as never, nameSpace: 'fmu-gateway-rate:', skipOnError: true }
            : {}),
          keyGenerator: (req: FastifyRequest) =>
            req.caller !== undefined && !req.caller.anonymous ? `key:${req.caller.id}` : `ip:${req.ip}`,
          errorResponseBuilder: (_req, c) =>
            new GatewayError('RATE_LIMITED', `Too many requests: at most ${c.max} per ${c.after}.`, {
              retry_after: c.after,
              hint: 'Wait and retry (see the retry-after header).',
            }),
        });
        await registerDocs(app, ctx.config.publicBaseUrl, ctx.catalog);
        for (const group of [...ROUTE_GROUPS, ...(opts.extraRoutes ?? [])]) await app.register(group, deps);
      },
    },
    { host: opts.host, port: opts.port },
  );
}
