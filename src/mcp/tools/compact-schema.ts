/**
 * tools/list is read into every agent's context on every session, so its JSON Schemas carry only
 * what tells an agent something. The schemas are derived from the zod shapes (never hand-written);
 * this removes what the derivation adds without meaning for a reader:
 * - `minimum/maximum: ±(2^53 - 1)` on every integer (zod's safe-integer bound),
 * - `$schema`, `propertyNames: {type: "string"}` (JSON keys are strings), `additionalProperties: {}`,
 * - `minLength: 1` and `maxLength` of 1000 or more on strings (names: bounds no caller approaches),
 * - a tool's `execution: {taskSupport: "forbidden"}` and annotation hints equal to the MCP
 *   defaults (readOnlyHint false, idempotentHint false, destructiveHint true, openWorldHint true).
 * Input schemas keep every constraint the server enforces (strict objects, ranges, patterns);
 * an argument defined exactly as in an earlier tool is written once (see shareArguments).
 *
 * Output schemas describe what comes back; a reader needs the field names and what they mean,
 * which the result itself then shows. So an output schema keeps `status` (what agents branch on)
 * as a schema and writes every other field as one line of text in its description,
 * `{summary (per numeric output) {min, max, mean (time-weighted), ...}, ...}`, instead of a JSON
 * Schema per field. The server still
 * validates every result against the full zod schema, and the loose JSON Schema accepts anything
 * the full one does, so clients that validate structuredContent keep working. The error-code list
 * is written once, in the server instructions, not once per tool, and a field written exactly as
 * by an earlier tool (the error envelope, payment data) says `(as <tool>)`.
 */
import type { ListToolsResult } from '@modelcontextprotocol/server';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SAFE = Number.MAX_SAFE_INTEGER;

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops what carries no meaning (see the file comment); recursive. */
function stripNoise(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripNoise);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if ((key === 'maximum' && value === SAFE) || (key === 'minimum' && value === -SAFE)) continue;
    if (key === 'propertyNames' && isObject(value)) {
      const names = stripNoise(value);
      if (isObject(names) && Object.keys(names).length === 1 && names.type === 'string') continue;
    }
    if (key === 'additionalProperties' && isObject(value) && Object.keys(value).length === 0) continue;
    if ((key === 'minLength' && value === 1) || (key === 'maxLength' && typeof value === 'number' && value >= 1000)) continue;
    out[key] = key === 'properties' && isObject(value) ? mapValues(value, stripNoise) : stripNoise(value);
  }
  return out;
}

function mapValues(o: JsonObject, f: (v: Json) => Json): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

/** What a field is, in a few words: its description, else its enum values. */
function fieldNote(name: string, schema: JsonObject): string | undefined {
  const values = Array.isArray(schema.enum)
    ? schema.enum
    : isObject(schema.items) && Array.isArray(schema.items.enum)
      ? schema.items.enum
      : undefined;
  if (name === 'code' && values !== undefined && values.length > 8) return 'see server instructions';
  // A short enum says more than a description of it.
  if (values !== undefined && values.length <= 8) return values.join('|');
  return typeof schema.description === 'string' ? schema.description.replace(/\.$/, '') : undefined;
}

/** "{a, b (what b is), c {x, y}}" for an object schema's properties. */
function fieldLine(props: JsonObject, errorInfo = false, share?: SharedFields): string {
  const parts = Object.entries(props).map(([name, schema]) => {
    if (!isObject(schema)) return name;
    const part = fieldPart(name, schema, errorInfo);
    if (share === undefined || part.length < MIN_SHARED_CHARS) return part;
    const owner = share.seen.get(part);
    if (owner === undefined) share.seen.set(part, share.tool);
    return owner === undefined ? part : `${name} (as ${owner})`;
  });
  return `{${parts.join(', ')}}`;
}

/** Output fields already written by an earlier tool of the list (the error envelope, payment data). */
interface SharedFields {
  tool: string;
  seen: Map<string, string>;
}

function fieldPart(name: string, schema: JsonObject, errorInfo: boolean): string {
  const inner = objectOf(schema);
  // Inside the error envelope the names say enough (hint, data); only code needs a pointer.
  const note = errorInfo && name !== 'code' ? undefined : fieldNote(name, schema);
  const innerLine = inner === undefined ? '' : ` ${fieldLine(inner, name === 'error')}`;
  return `${name}${note === undefined || name === 'error' ? '' : ` (${note})`}${innerLine}`;
}

/** The properties of an object schema, or of the objects in an array / record of them. */
function objectOf(schema: JsonObject): JsonObject | undefined {
  if (isObject(schema.properties)) return schema.properties;
  if (isObject(schema.items)) return objectOf(schema.items);
  if (isObject(schema.additionalProperties)) return objectOf(schema.additionalProperties);
  return undefined;
}

export function compactJsonSchema(schema: JsonObject, kind: 'input' | 'output', share?: SharedFields): JsonObject {
  const clean = stripNoise(schema) as JsonObject;
  if (kind === 'input' || !isObject(clean.properties)) return clean;
  // Output: `status` as a schema (agents branch on it), every other field as one line of text.
  const { status, ...fields } = clean.properties;
  const desc = typeof clean.description === 'string' ? `${clean.description.replace(/\.$/, '')}. ` : '';
  const out: JsonObject = { type: 'object', description: `${desc}Fields: ${fieldLine(fields, false, share)}` };
  if (isObject(status)) {
    const { description: _d, ...statusSchema } = status;
    out.properties = { status: statusSchema };
    out.required = ['status'];
  }
  return out;
}

/** Shorter than this, a reference ("as in simulate") saves nothing. */
const MIN_SHARED_CHARS = 60;

/**
 * An argument defined exactly as in an earlier tool of the list (sweep repeats simulate's request;
 * fmu_id is everywhere) is written once: later tools keep its type and say
 * `description: "as simulate.<name>"`. The server validates with the full schema.
 */
function shareArguments(tools: ListToolsResult['tools']): ListToolsResult['tools'] {
  const firstSeen = new Map<string, string>();
  return tools.map((tool) => {
    const props = (tool.inputSchema as JsonObject).properties;
    if (!isObject(props)) return tool;
    const shared: JsonObject = {};
    for (const [name, schema] of Object.entries(props)) {
      const key = `${name}:${JSON.stringify(schema)}`;
      const owner = firstSeen.get(key);
      if (owner === undefined) {
        firstSeen.set(key, tool.name);
        shared[name] = schema;
      } else if (key.length - name.length > MIN_SHARED_CHARS && isObject(schema)) {
        shared[name] = { ...(schema.type !== undefined ? { type: schema.type } : {}), description: `as ${owner}.${name}` };
      } else shared[name] = schema;
    }
    return { ...tool, inputSchema: { ...tool.inputSchema, properties: shared } as typeof tool.inputSchema };
  });
}

const DEFAULT_HINTS: Record<string, boolean> = { readOnlyHint: false, idempotentHint: false, destructiveHint: true, openWorldHint: true };

function withoutDefaultHints<T extends Record<string, unknown>>(annotations: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(annotations)) if (DEFAULT_HINTS[k] !== v) out[k] = v;
  return out as T;
}

export function compactToolList(list: ListToolsResult): ListToolsResult {
  const seen = new Map<string, string>();
  const tools = list.tools.map((tool) => {
    const { execution, annotations, ...rest } = tool;
    const t = {
      ...(execution !== undefined && !(Object.keys(execution).length === 1 && execution.taskSupport === 'forbidden') ? { execution } : {}),
      ...(annotations !== undefined ? { annotations: withoutDefaultHints(annotations) } : {}),
      ...rest,
      inputSchema: compactJsonSchema(tool.inputSchema as JsonObject, 'input') as typeof tool.inputSchema,
    };
    if (tool.outputSchema !== undefined) {
      t.outputSchema = compactJsonSchema(tool.outputSchema as JsonObject, 'output', { tool: tool.name, seen }) as typeof tool.outputSchema;
    }
    return t;
  });
  return { ...list, tools: shareArguments(tools) };
}
