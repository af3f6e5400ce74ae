/** Tiny response helpers shared by the HTTP endpoints (JSON bodies, the project's error shape). */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The REST error body of DESIGN.md: `{ error: { code, message, data? } }`. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, data?: Record<string, unknown>): void {
  sendJson(res, status, { error: data === undefined ? { code, message } : { code, message, data } });
}

/** A JSON-RPC error for the /mcp endpoint, where clients expect JSON-RPC shapes even on HTTP errors. */
export function sendJsonRpcError(res: ServerResponse, status: number, rpcCode: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code: rpcCode, message }, id: null });
}
