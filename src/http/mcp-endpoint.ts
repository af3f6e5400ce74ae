/**
 * The Streamable HTTP endpoint for MCP at /mcp, in stateless mode: every POST gets a fresh
 * McpServer + transport (`sessionIdGenerator: undefined`).
 *
 * Why stateless: the SDK client does not re-initialize when a server forgets its session (after
 * a restart it would get 404 forever), and our tools keep no per-session state (uploads and runs
 * are content-addressed / stored). Costs: no server-initiated requests outside a tool call and no
 * standalone GET stream, which we do not need. Progress still flows: it is sent on the POST's own
 * SSE stream. Cancellation works two ways: the client goes away (the response closes → the
 * server closes → the tool's `extra.signal` aborts), or a `notifications/cancelled` POST, routed
 * through the CancelRegistry to the request it names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
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
  params?: { requestId?: RequestId; reason?: string };
}

function asMessages(body: unknown): RpcMessage[] {
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  return list.filter((m): m is RpcMessage => typeof m === 'object' && m !== null);
}

export type McpHandler = (req: IncomingMessage, res: ServerResponse, createServer?: () => McpServer) => Promise<void>;

export function createMcpEndpoint(opts: McpEndpointOptions): McpHandler {
  const registry = opts.registry ?? new CancelRegistry();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  return async (req, res, createServer = opts.createServer) => {
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
    let body: unknown;
    try {
      const raw = await readBody(req, opts.maxBodyBytes);
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

    const server = createServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    let closed = false;
    const closeAll = (): void => {
      if (closed) return;
      closed = true;
      // Closing the server aborts every in-flight handler's extra.signal → the run is cancelled.
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    };
    const unregister = messages
      .filter((m) => m.id !== undefined && typeof m.method === 'string')
      .map((m) => registry.add(remote, m.id as RequestId, closeAll));
    res.on('close', () => {
      for (const u of unregister) u();
      closeAll();
    });

    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (e) {
      log(`mcp: request failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error while handling the MCP request.');
      closeAll();
    }
  };
}
