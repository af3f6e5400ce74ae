/**
 * Every tools/call that cannot run answers like every other failure: a tool result with
 * `status: "error"`, a stable code (BAD_REQUEST, NOT_FOUND), a message and a hint — never a
 * JSON-RPC -32603 carrying a zod dump, never bare text without a code.
 *
 * Why an interception: the SDK parses the request and the arguments before our handler runs.
 * `arguments: null` (or an array, a string) fails its CallToolRequestSchema inside the protocol
 * layer, which answers -32603 with the zod issues as text; an unknown tool name or arguments that
 * fail the tool's input schema get `isError` with bare text and no structuredContent. The SDK
 * offers no hook there, so we wrap the tools/call handler it installs (through the public
 * setRequestHandler), registered with a lenient request schema through the protocol layer's own
 * setRequestHandler (the Server subclass would re-validate the request first and answer -32602),
 * so that WE see malformed requests first; calls that pass go on to the SDK's handler unchanged.
 */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolRequest,
  type CallToolResult,
  type ListToolsResult,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { toErrorOutput } from '../../schemas/errors.ts';
import { closestName, invalidArguments } from '../../schemas/input-errors.ts';
import type { ToolExtra } from '../progress.ts';
import { compactToolList } from './compact-schema.ts';
import { failureResult } from './result.ts';

type Handler = (request: never, extra: ToolExtra) => unknown;

/** Any tools/call request: the method is all the protocol layer checks before our handler runs. */
const LenientCallRequestSchema = z.object({ method: z.literal('tools/call') }).passthrough();

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
function malformedCall(raw: unknown, names: readonly string[]): CallToolResult | undefined {
  if (CallToolRequestSchema.safeParse(raw).success) return undefined;
  const params = (raw as { params?: unknown }).params;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
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
): () => boolean {
  const low = server.server;
  const install = low.setRequestHandler.bind(low) as (schema: unknown, handler: Handler) => void;
  let wrappedCall = false;
  const wrapped = (requestSchema: unknown, handler: Handler): void => {
    if (requestSchema === ListToolsRequestSchema) {
      const list = handler as unknown as (r: unknown, e: ToolExtra) => Promise<ListToolsResult> | ListToolsResult;
      install(requestSchema, (async (request: unknown, extra: ToolExtra) => compactToolList(await list(request, extra))) as Handler);
      return;
    }
    if (requestSchema !== CallToolRequestSchema) {
      install(requestSchema, handler);
      return;
    }
    wrappedCall = true;
    const call = handler as unknown as (r: CallToolRequest, e: ToolExtra) => unknown;
    const installRaw = Protocol.prototype.setRequestHandler.bind(low) as (schema: unknown, handler: Handler) => void;
    installRaw(LenientCallRequestSchema, (async (raw: unknown, extra: ToolExtra) => {
      const malformed = malformedCall(raw, names());
      if (malformed !== undefined) return malformed;
      const request = CallToolRequestSchema.parse(raw);
      const tool = toolOf(request.params.name);
      if (tool === undefined) return unknownTool(request.params.name, names());
      const failure = await checkArguments(request.params.name, tool.inputSchema, request.params.arguments);
      return failure ?? call(request, extra);
    }) as Handler);
  };
  low.setRequestHandler = wrapped as unknown as typeof low.setRequestHandler;
  return () => wrappedCall;
}
