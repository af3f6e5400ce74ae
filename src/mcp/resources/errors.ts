/**
 * Resource reads have no isError result: failures are JSON-RPC errors. A GatewayError keeps its
 * stable code and hint in `error.data`; NOT_FOUND uses MCP's "resource not found" code (-32002).
 */
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { toGatewayError } from '../../errors.ts';
import { toErrorOutput } from '../../schemas/errors.ts';

const RESOURCE_NOT_FOUND = -32002;

/**
 * What the SDK turns into a JSON-RPC error (it sends `code`, `message` and `data` of whatever a
 * handler throws). Not McpError: that one's message already reads "MCP error <code>: ...", and
 * the client's McpError adds the prefix a second time.
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

export async function guardedRead<T>(body: () => Promise<T>, log: (line: string) => void): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof McpError) throw e;
    const err = toGatewayError(e);
    if (err.code === 'INTERNAL') log(`mcp: internal error in a resource read: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const out = toErrorOutput(err);
    const info = out.status === 'error' ? out.error : { code: err.code, message: err.message };
    const rpcCode =
      err.code === 'NOT_FOUND' ? RESOURCE_NOT_FOUND : err.code === 'INTERNAL' ? ErrorCode.InternalError : ErrorCode.InvalidParams;
    throw new ResourceReadError(rpcCode, info.message, info);
  }
}

/** A template variable is a string or (for exploded templates) a list; ours are always single. */
export function single(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v;
  return decodeURIComponent(s ?? '');
}
