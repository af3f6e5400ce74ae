/**
 * Resource reads have no isError result: failures are JSON-RPC errors. A GatewayError keeps its
 * stable code and hint in `error.data`; NOT_FOUND uses MCP's "resource not found" code (-32002, sent
 * as -32602 with the resource's `uri` in data, as spec 2026-07-28 has it).
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { toGatewayError } from '../../errors.ts';
import { toErrorOutput } from '../../schemas/errors.ts';

const RESOURCE_NOT_FOUND = -32002;

/**
 * What the SDK turns into a JSON-RPC error (it sends `code`, `message` and `data` of whatever a
 * handler throws). Not ProtocolError: the client would prefix its message a second time.
 */
class ResourceReadError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
    this.name = 'ResourceReadError';
  }
}

export async function guardedRead<T>(body: () => Promise<T>, log: (line: string) => void, uri?: string): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    const err = toGatewayError(e);
    if (err.code === 'INTERNAL') log(`mcp: internal error in a resource read: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const out = toErrorOutput(err);
    const info = out.status === 'error' ? out.error : { code: err.code, message: err.message };
    const rpcCode =
      err.code === 'NOT_FOUND'
        ? RESOURCE_NOT_FOUND
        : err.code === 'INTERNAL'
          ? ProtocolErrorCode.InternalError
          : ProtocolErrorCode.InvalidParams;
    // `uri` in data: how clients of spec 2026-07-28 recognise "resource not found" (-32602 there; the
    // SDK sends -32002 as -32602 to every client).
    throw new ResourceReadError(rpcCode, info.message, uri === undefined ? info : { ...info, uri });
  }
}

/** A template variable is a string or (for exploded templates) a list; ours are always single. */
export function single(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v;
  return decodeURIComponent(s ?? '');
}
