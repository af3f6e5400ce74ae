/**
 * The JSON Schema of a tool's output schema, converted once per process. The SDK converts a
 * registered tool's outputSchema (zod → JSON Schema) the first time `tools/call` answers, and
 * keeps it on that RegisteredTool; over Streamable HTTP a server (and so every tool) is built per
 * request, so without this every call paid the conversion. Output schemas are module constants
 * (src/schemas/), so the schema object identifies its conversion.
 */
import type { RegisteredTool } from '@modelcontextprotocol/server';

const converted = new WeakMap<object, Record<string, unknown>>();

export function shareOutputSchemaJson(tool: RegisteredTool): void {
  const schema = tool.outputSchema as object | undefined;
  if (schema === undefined) return;
  const known = converted.get(schema);
  if (known !== undefined) {
    tool.outputSchemaJson = known;
    return;
  }
  // The SDK's getter converts (and memoises on this tool); a failed conversion stays undefined and surfaces at tools/list.
  const json = tool.outputSchemaJson;
  if (json !== undefined) converted.set(schema, json);
}
