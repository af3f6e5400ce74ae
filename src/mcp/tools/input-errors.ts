/**
 * Arguments that fail a tool's input schema answer like every other failure: `status: "error"`,
 * code BAD_REQUEST, a message naming each wrong argument and a hint.
 *
 * Why an interception: the SDK parses the arguments before our handler runs and, on failure,
 * answers `isError` with bare text and no structuredContent, so an agent branching on
 * `error.code` finds nothing. The SDK offers no hook there, so we wrap the tools/call handler it
 * installs (through the public setRequestHandler) and check the same zod schema first; valid
 * calls go on to the SDK unchanged.
 */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { toErrorOutput } from '../../schemas/errors.ts';
import { invalidArguments } from '../../schemas/input-errors.ts';
import type { ToolExtra } from '../progress.ts';
import { failureResult } from './result.ts';

type CallHandler = (request: CallToolRequest, extra: ToolExtra) => unknown;

/** The error result for arguments that fail the tool's schema, or undefined when they are valid. */
export async function checkArguments(name: string, schema: unknown, args: unknown): Promise<CallToolResult | undefined> {
  if (!(schema instanceof z.ZodType)) return undefined;
  const parsed = await schema.safeParseAsync(args ?? {});
  return parsed.success ? undefined : failureResult(toErrorOutput(invalidArguments(name, schema, parsed.error)));
}

/**
 * Must run before the first registerTool, which installs the SDK's tools/call handler (so the
 * McpServer must not declare the tools capability in its constructor options, which installs it
 * earlier). `toolOf(name)` gives the registered tool, whose inputSchema is checked. Returns a
 * function telling whether the handler was wrapped, for the caller to insist on.
 */
export function structureInputErrors(server: McpServer, toolOf: (name: string) => RegisteredTool | undefined): () => boolean {
  const low = server.server;
  const install = low.setRequestHandler.bind(low);
  let wrappedCall = false;
  const wrapped = (requestSchema: unknown, handler: CallHandler): void => {
    if (requestSchema !== CallToolRequestSchema) {
      (install as (s: unknown, h: CallHandler) => void)(requestSchema, handler);
      return;
    }
    wrappedCall = true;
    install(CallToolRequestSchema, async (request, extra) => {
      const failure = await checkArguments(request.params.name, toolOf(request.params.name)?.inputSchema, request.params.arguments);
      return failure ?? (handler(request, extra) as CallToolResult | Promise<CallToolResult>);
    });
  };
  low.setRequestHandler = wrapped as typeof low.setRequestHandler;
  return () => wrappedCall;
}
