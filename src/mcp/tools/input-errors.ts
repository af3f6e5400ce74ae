/**
 * Every tools/call that cannot run answers like every other failure: a tool result with
 * `status: "error"`, a stable code (BAD_REQUEST, NOT_FOUND), a message and a hint — never a
 * JSON-RPC -32603 carrying a zod dump, never bare text without a code.
 *
 * Why an interception: the SDK checks the request and the arguments before our handler runs.
 * `arguments: null` (or an array, a string) fails its tools/call wire schema, which it answers
 * with a JSON-RPC -32602; an unknown tool name is a JSON-RPC error too, and arguments that fail the
 * tool's input schema get `isError` with bare text and no structuredContent. The SDK's documented
 * seam for checks around a request handler is the server's `_wrapHandler` hook (see
 * ../handler-hook.ts), so we put ours in front of it for tools/call (malformed requests are seen by
 * US first; calls that pass go on unchanged, arguments the SDK refuses are explained in our shape)
 * and tools/list (compacted, see compact-schema.ts).
 */
import type { CallToolResult, JSONRPCRequest, ListToolsResult, McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { toErrorOutput } from '../../schemas/errors.ts';
import { closestName, invalidArguments } from '../../schemas/input-errors.ts';
import { hookHandler } from '../handler-hook.ts';
import { compactToolList, type ListingOptions } from './compact-schema.ts';
import { failureResult } from './result.ts';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The error result for arguments that fail the tool's schema, or undefined when they are valid. */
export async function checkArguments(name: string, schema: unknown, args: unknown): Promise<CallToolResult | undefined> {
  if (!(schema instanceof z.ZodType)) return undefined;
  const parsed = await schema.safeParseAsync(args ?? {});
  return parsed.success ? undefined : failureResult(toErrorOutput(invalidArguments(name, schema, parsed.error)));
}

/** A request the SDK's CallToolRequestSchema refuses → why, as a coded result (or undefined when it is fine). */
function malformedCall(raw: JSONRPCRequest, names: readonly string[]): CallToolResult | undefined {
  const params = raw.params as unknown;
  if (isPlainObject(params) && typeof params.name === 'string' && (params.arguments === undefined || isPlainObject(params.arguments)))
    return undefined;
  if (!isPlainObject(params)) {
    return failureResult(
      toErrorOutput(
        new GatewayError('BAD_REQUEST', `tools/call params must be an object {name, arguments}, got ${describeType(params)}`, {
          hint: 'Send params: {"name": "<tool>", "arguments": {...}}.',
        }),
      ),
    );
  }
  const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
  if (typeof name !== 'string') {
    return failureResult(
      toErrorOutput(
        new GatewayError('BAD_REQUEST', `tools/call params.name must be a tool name (a string), got ${describeType(name)}`, {
          tools: [...names],
          hint: `Use one of: ${names.join(', ')}.`,
        }),
      ),
    );
  }
  return failureResult(
    toErrorOutput(
      new GatewayError('BAD_REQUEST', `The arguments of ${name} must be a JSON object, got ${describeType(args)}`, {
        hint: `Send arguments as an object of named fields, e.g. {} when there are none; see the input schema of ${name} in tools/list.`,
      }),
    ),
  );
}

function unknownTool(name: string, names: readonly string[]): CallToolResult {
  const guess = closestName(name, names);
  return failureResult(
    toErrorOutput(
      new GatewayError('NOT_FOUND', `There is no tool named "${name}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`, {
        tool: name,
        tools: [...names],
        hint: `Call one of: ${names.join(', ')} (tools/list describes them).`,
      }),
    ),
  );
}

/**
 * Must run before the first registerTool, which installs the SDK's tools/list and tools/call
 * handlers (so the McpServer must not declare the tools capability in its constructor options,
 * which installs them earlier). `toolOf(name)` gives a registered tool, `names()` all of them.
 * tools/list answers are compacted (see compact-schema.ts). Returns a function telling whether
 * the call handler was wrapped, for the caller to insist on.
 */
export function structureInputErrors(
  server: McpServer,
  toolOf: (name: string) => RegisteredTool | undefined,
  names: () => readonly string[],
  listing: ListingOptions,
): () => boolean {
  let wrappedCall = false;
  hookHandler(
    server,
    'tools/list',
    (inner) => async (request, ctx) => compactToolList((await inner(request, ctx)) as ListToolsResult, listing),
  );
  hookHandler(server, 'tools/call', (inner) => {
    wrappedCall = true;
    return async (request, ctx) => {
      const malformed = malformedCall(request, names());
      if (malformed !== undefined) return malformed;
      const params = request.params as { name: string; arguments?: Record<string, unknown> };
      const tool = toolOf(params.name);
      if (tool === undefined) return unknownTool(params.name, names());
      // The arguments are checked once, by the SDK (inner) on the way to the tool. Only when it
      // refused them (its bare-text error: isError without structuredContent, which no tool of
      // ours returns) are they checked again, to say why in our coded shape. Checking first, as
      // before, walked every valid call's arguments twice.
      const answer = (await inner(request, ctx)) as CallToolResult;
      if (answer.isError !== true || answer.structuredContent !== undefined) return answer;
      return (await checkArguments(params.name, tool.inputSchema, params.arguments)) ?? answer;
    };
  });
  return () => wrappedCall;
}
