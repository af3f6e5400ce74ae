/**
 * The Streamable HTTP endpoint for MCP at /mcp, served by the SDK's `createMcpHandler`: a
 * 2026-07-28 request (per-request `_meta` envelope, `server/discover`) and a 2025-era request
 * (`initialize`, then calls without a session) each get a fresh McpServer from the factory and are
 * answered statelessly, so any node behind a plain load balancer can answer any request.
 *
 * Why stateless for 2025 clients too: the SDK client does not re-initialize when a server forgets
 * its session (after a restart it would get 404 forever), and our tools keep no per-session state
 * (uploads and runs are content-addressed / stored). Costs: no server-initiated requests outside a
 * tool call and no standalone GET stream, which we do not need. Progress still flows: it is sent on
 * the POST's own SSE stream. Cancellation: the client closes the request's stream (2026-07-28's
 * way, and what an aborted fetch does) → the request's signal aborts → its server is closed → the
 * tool's signal aborts; or a 2025-era `notifications/cancelled` POST, routed through the
 * CancelRegistry to the request it names.
 *
 * This file bridges Node's req/res to the handler's web-standard fetch face: it reads the body
 * itself (our size cap and 413 message, not the SDK's), and streams the Response back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  isLegacyRequest,
  type AuthInfo,
  type McpRequestContext,
  type McpServer,
} from '@modelcontextprotocol/server';
import { BodyTooLargeError, discardRest, readBody } from './body.ts';
import { CancelRegistry, type RequestId } from './cancel-registry.ts';
import { sendJsonRpcError } from './respond.ts';

export interface McpEndpointOptions {
  /** Builds the server for one request (tools, resources, prompts registered), unless the call passes its own. */
  createServer: () => McpServer;
  /** Largest accepted POST body in bytes (uploads travel base64 inside it). */
  maxBodyBytes: number;
  registry?: CancelRegistry;
  log?: (line: string) => void;
}

interface RpcMessage {
  id?: RequestId;
  method?: string;
  params?: { requestId?: RequestId; reason?: string; _meta?: { progressToken?: unknown } };
}

/** True when some request of the body asks for progress (only an SSE answer can carry it). */
function wantsProgress(messages: readonly RpcMessage[]): boolean {
  return messages.some((m) => m.params?._meta?.progressToken !== undefined);
}

function asMessages(body: unknown): RpcMessage[] {
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  return list.filter((m): m is RpcMessage => typeof m === 'object' && m !== null);
}

export type McpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  createServer?: () => McpServer,
  /** The caller's id (its API key's hash, never the key), handed to tools as ctx.http.authInfo.clientId. */
  callerId?: string,
) => Promise<void>;

/** What one HTTP exchange hands the factory (through authInfo.extra, which the SDK passes through untouched). */
interface Exchange {
  createServer: () => McpServer;
  servers: McpServer[];
  closed: boolean;
}
const EXCHANGE = 'fmu-gateway/exchange';

function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

export function createMcpEndpoint(opts: McpEndpointOptions): McpHandler {
  const registry = opts.registry ?? new CancelRegistry();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const serverFor = (authInfo: AuthInfo | undefined): McpServer => {
    const exchange = authInfo?.extra?.[EXCHANGE] as Exchange | undefined;
    const server = (exchange?.createServer ?? opts.createServer)();
    if (exchange !== undefined) {
      exchange.servers.push(server);
      // Built after the client went away: close it at once, so nothing runs for nobody.
      if (exchange.closed) void server.close().catch(() => undefined);
    }
    return server;
  };
  const handler = createMcpHandler((rc: McpRequestContext) => serverFor(rc.authInfo), {
    legacy: 'stateless',
    maxRequestBodySize: opts.maxBodyBytes,
    onerror: (e) => log(`mcp: ${e.message}`),
  });

  /**
   * A 2025-era request is served statelessly, as the SDK's own fallback does (a fresh server and
   * transport per request), but answered with one JSON body when no request in it asks for
   * progress: the SDK's fallback always opens an SSE stream, whose framing and stream plumbing
   * cost a warm simulate call more than the answer's JSON. A request with a progressToken still
   * gets the stream (its progress notifications travel on it). Cancellation is unchanged: a
   * client that goes away closes the exchange, which closes the server.
   */
  const legacyJson = async (request: Request, authInfo: AuthInfo, parsedBody: unknown): Promise<Response> => {
    const server = serverFor(authInfo);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: opts.maxBodyBytes,
    });
    try {
      await server.connect(transport);
      return await transport.handleRequest(request, { authInfo, parsedBody });
    } finally {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    }
  };

  return async (req, res, createServer = opts.createServer, callerId) => {
    if (req.method !== 'POST') {
      // Stateless: no standalone SSE stream (GET) and no session to delete (DELETE).
      res.setHeader('allow', 'POST');
      sendJsonRpcError(
        res,
        405,
        -32000,
        `Method ${req.method ?? '?'} not allowed on /mcp: this server is stateless, send JSON-RPC messages with POST.`,
      );
      return;
    }
    let raw: Buffer;
    let body: unknown;
    try {
      raw = await readBody(req, opts.maxBodyBytes);
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        sendJsonRpcError(
          res,
          413,
          -32600,
          `Request body is larger than ${e.limit} bytes. Upload large FMUs with the stdio server (upload_fmu with a local path) or raise MAX_FMU_MB.`,
        );
        discardRest(req);
      } else {
        sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
      }
      return;
    }

    const remote = req.socket.remoteAddress ?? 'unknown';
    const messages = asMessages(body);
    for (const m of messages) {
      const target = m.params?.requestId;
      if (m.method === 'notifications/cancelled' && target !== undefined) {
        const outcome = registry.cancel(remote, target, m.params?.reason ?? 'cancelled by the client');
        if (outcome === 'ambiguous') log(`mcp: cancel of request ${String(target)} from ${remote} matches several runs; ignored`);
      }
    }

    const aborter = new AbortController();
    const exchange: Exchange = { createServer, servers: [], closed: false };
    const closeAll = (): void => {
      if (exchange.closed) return;
      exchange.closed = true;
      aborter.abort();
      // Closing the server aborts every in-flight handler's signal → the run is cancelled.
      for (const s of exchange.servers) void s.close().catch(() => undefined);
    };
    const unregister = messages
      .filter((m) => m.id !== undefined && typeof m.method === 'string')
      .map((m) => registry.add(remote, m.id as RequestId, closeAll));
    res.on('close', () => {
      for (const u of unregister) u();
      closeAll();
    });

    const authInfo: AuthInfo = { token: '', clientId: callerId ?? 'anonymous', scopes: [], extra: { [EXCHANGE]: exchange } };
    try {
      const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/mcp'}`, {
        method: 'POST',
        headers: webHeaders(req),
        body: raw,
        signal: aborter.signal,
      });
      const json = !wantsProgress(messages) && (await isLegacyRequest(request, body, { maxRequestBodySize: opts.maxBodyBytes }));
      const response = json ? await legacyJson(request, authInfo, body) : await handler.fetch(request, { authInfo, parsedBody: body });
      await pipeResponse(response, res);
    } catch (e) {
      if (!exchange.closed) log(`mcp: request failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error while handling the MCP request.');
      else res.end();
      closeAll();
    }
  };
}

/** Writes a web Response to a Node response, streaming its body (SSE frames are flushed as they come). */
async function pipeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = (): void => void reader.cancel().catch(() => undefined);
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
  } finally {
    res.off('close', stop);
    res.end();
  }
}
