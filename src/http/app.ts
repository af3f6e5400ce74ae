/**
 * The gateway's HTTP application: security policy + /mcp + /health; REST routes are added by
 * passing them as `restRoutes`.
 */
import { createMcpServer } from '../mcp/server.ts';
import type { ServiceContext } from '../service/context.ts';
import { ENGINE_VERSION } from '../version.ts';
import { CancelRegistry } from './cancel-registry.ts';
import { createMcpEndpoint } from './mcp-endpoint.ts';
import { sendJson } from './respond.ts';
import { createOriginPolicy, withPublicBaseUrl } from './security.ts';
import { startHttpServer, type HttpRoute, type RunningHttpServer } from './server.ts';

export interface GatewayHttpOptions {
  host: string;
  port: number;
  /** Extra Host header values to accept ("name" or "name:port"), e.g. a LAN name with --host 0.0.0.0. */
  allowedHosts?: readonly string[];
  /** Extra browser origins to accept ("https://app.example.com"). */
  allowedOrigins?: readonly string[];
  restRoutes?: readonly HttpRoute[];
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
  const routes: HttpRoute[] = [
    { method: '*', path: '/mcp', handle: mcp },
    {
      method: 'GET',
      path: '/health',
      handle: (_req, res) =>
        sendJson(res, 200, {
          status: 'ok',
          version: ENGINE_VERSION,
          mode: ctx.config.mode,
          isolation: ctx.runner.isolation,
        }),
    },
    ...(opts.restRoutes ?? []),
  ];
  return startHttpServer(
    {
      policy: (port) =>
        withPublicBaseUrl(
          createOriginPolicy({ host: opts.host, port, extraHosts: opts.allowedHosts, extraOrigins: opts.allowedOrigins }),
          ctx.config.publicBaseUrl,
        ),
      routes,
      log,
    },
    { host: opts.host, port: opts.port },
  );
}
