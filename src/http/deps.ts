/** What every REST route group receives from the composition root (src/http/app.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AccountStore, ServiceContext } from '../service/index.ts';

export interface RestDeps {
  ctx: ServiceContext;
  accounts: AccountStore;
  /** The Streamable HTTP endpoint; `createServer` builds the MCP server of this request's caller. */
  mcp: (req: IncomingMessage, res: ServerResponse, createServer: () => McpServer, callerId?: string) => Promise<void>;
  /** Builds an MCP server over a caller-scoped context, for that caller (undefined: keyless). */
  createMcpServer: (ctx: ServiceContext, callerId: string | undefined) => McpServer;
}

/** Who made a request, set by the auth hook (src/http/auth.ts). */
export interface Caller {
  /** The key's sha256, or "anonymous" (keyless loopback use of /mcp). */
  id: string;
  anonymous: boolean;
}

/**
 * How a route is authenticated: "key" (default: Authorization: Bearer <key>), "public" (no key:
 * /keys, /health, /docs, /openapi.json, webhooks) or "mcp" (a key, or none where MCP_ANONYMOUS
 * allows it).
 */
export type RouteAuth = 'key' | 'public' | 'mcp';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** The route starts simulations: admission is checked before its body is read (auth.ts). */
    admission?: boolean;
  }
}
