/**
 * resources/list in pages: the SDK's handler lists every resource of every template at once; an
 * agent's client may read the whole list into context, so it is served PAGE_SIZE at a time with
 * an opaque `nextCursor` (MCP pagination). The list itself is bounded by its sources (the library,
 * the caller's most recent runs).
 */
import { ProtocolError, ProtocolErrorCode, type ListResourcesResult, type McpServer } from '@modelcontextprotocol/server';
import { hookHandler } from '../handler-hook.ts';

export const RESOURCES_PAGE_SIZE = 20;

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined) return 0;
  try {
    const o = (JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return o;
  } catch {
    // fall through: an invalid cursor is the caller's error
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of the previous resources/list page.');
}

export function pageResourceList(server: McpServer, pageSize = RESOURCES_PAGE_SIZE): void {
  hookHandler(server, 'resources/list', (inner) => async (request, ctx) => {
    const offset = decodeCursor((request.params as { cursor?: unknown } | undefined)?.cursor);
    const all = (await inner(request, ctx)) as ListResourcesResult;
    const resources = all.resources.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.resources.length ? { nextCursor: encodeCursor(offset + pageSize) } : {};
    return { ...all, resources, ...next };
  });
}
