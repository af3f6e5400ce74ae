/**
 * A tool's output schema as the SDK uses it on every tools/call, made cheap:
 * - its JSON Schema, converted once per process. The SDK converts a registered tool's
 *   outputSchema (zod → JSON Schema) the first time `tools/call` answers, and keeps it on that
 *   RegisteredTool; over Streamable HTTP a server (and so every tool) is built per request, so
 *   without this every call paid the conversion. Output schemas are module constants
 *   (src/schemas/), so the schema object identifies its conversion.
 * - its check of the answer, done once. Our output schemas are flat objects whose refinement
 *   re-checks the exact variant (src/schemas/common.ts flatOutputSchema), so zod walked every
 *   answer twice (simulate: ~0.24 ms of the event loop per call, against ~0.06 ms for the variant
 *   alone). The SDK validates through the Standard Schema interface, so the registered tool gets
 *   a Standard Schema that checks the variant union and lists the flat schema's JSON Schema:
 *   same answers accepted and refused, same tools/list.
 */
import type { RegisteredTool, StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { outputVariantsOf } from '../../schemas/common.ts';

const converted = new WeakMap<object, Record<string, unknown>>();
const checkedOnce = new WeakMap<object, StandardSchemaWithJSON>();

type WithStandard = { '~standard': StandardSchemaWithJSON['~standard'] };

/** The flat schema's face (JSON Schema for tools/list, types) with the union's check. */
function variantChecked(flat: WithStandard, union: WithStandard): StandardSchemaWithJSON {
  const std = flat['~standard'];
  return {
    '~standard': {
      version: 1,
      vendor: std.vendor,
      validate: (value: unknown) => union['~standard'].validate(value),
      jsonSchema: std.jsonSchema,
    },
  } as StandardSchemaWithJSON;
}

export function shareOutputSchemaJson(tool: RegisteredTool): void {
  const schema = tool.outputSchema as object | undefined;
  if (schema === undefined) return;
  // Converted on first use (the first answer of this tool in this process), not at registration:
  // a server built for one simulate call must not convert every tool's schema first.
  const sdkGetter = Object.getOwnPropertyDescriptor(tool, 'outputSchemaJson');
  let own: Record<string, unknown> | undefined;
  Object.defineProperty(tool, 'outputSchemaJson', {
    configurable: true,
    enumerable: true,
    get(): Record<string, unknown> | undefined {
      if (own !== undefined) return own;
      const known = converted.get(schema);
      if (known !== undefined) return known;
      // The SDK's getter converts the registered schema; a failed conversion stays undefined and surfaces at tools/list.
      const json = sdkGetter?.get?.call(tool) as Record<string, unknown> | undefined;
      if (json !== undefined) converted.set(schema, json);
      return json;
    },
    set(value: Record<string, unknown> | undefined) {
      own = value;
    },
  });
  const union = outputVariantsOf(schema);
  if (union === undefined) return;
  let once = checkedOnce.get(schema);
  if (once === undefined) checkedOnce.set(schema, (once = variantChecked(schema as WithStandard, union as unknown as WithStandard)));
  tool.outputSchema = once;
}
