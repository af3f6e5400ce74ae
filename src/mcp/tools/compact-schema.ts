/**
 * tools/list is read into every agent's context on every session, so it carries only what tells
 * an agent how to call a tool. The JSON Schemas are derived from the zod shapes (never
 * hand-written); this listing view removes what the derivation adds without meaning for a reader:
 * - `minimum/maximum: ±(2^53 - 1)` on every integer (zod's safe-integer bound), `$schema`,
 *   `propertyNames: {type: "string"}` (JSON keys are strings), `additionalProperties: {}`;
 * - size bounds no sensible call approaches (`minLength`/`minItems` 1, `maxLength`, `maxItems`)
 *   and character-class `pattern`s (a pattern that enumerates alternatives, like the KPI metrics,
 *   stays: it is documentation);
 * - the union "number | boolean | string | nested arrays of them" of a start value, written as
 *   one type list;
 * - `additionalProperties: false` (still enforced: an unknown argument is refused, with a "did
 *   you mean" when it is a misspelling);
 * - a tool's `execution: {taskSupport: "forbidden"}` and annotation hints equal to the MCP
 *   defaults (readOnlyHint false, idempotentHint false, destructiveHint true, openWorldHint true);
 * - when payments are off, the payment arguments and the `payment_required` status.
 * The listed schema may therefore be looser than the enforced one: the server validates every
 * call with the full zod schema and its BAD_REQUEST names the broken bound. An argument defined
 * exactly as in an earlier tool is written once (see shareArguments).
 *
 * Output schemas: only `status` (what agents branch on), and only where it has more than success
 * and error (payment_required, when payments are on). The fields themselves arrive in every result
 * (structuredContent) and the text block says what they mean; listing them cost ~7,000 characters
 * per session. The server still validates every result against the full zod schema.
 */
import type { ListToolsResult } from '@modelcontextprotocol/server';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ListingOptions {
  /** False: payment arguments and the payment_required status are not listed. */
  payments: boolean;
}

const SAFE = Number.MAX_SAFE_INTEGER;
/** Arguments that only matter when a run may have to be paid for. */
const PAYMENT_ARGUMENTS = new Set(['payment_token', 'payment_method']);

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A union of scalars and (nested) arrays of scalars: what a start value or an input value may be. */
function isScalarOrArrayUnion(node: JsonObject): boolean {
  const branches = node.anyOf;
  if (!Array.isArray(branches) || Object.keys(node).length !== 1) return false;
  const scalarOrArray = (b: Json): boolean => {
    if (!isObject(b)) return false;
    if (b.type === 'array') return b.items !== undefined && scalarOrArray(b.items);
    return Array.isArray(b.type) && b.type.every((t) => t === 'number' || t === 'boolean' || t === 'string');
  };
  return branches.every(scalarOrArray);
}

/** A regular expression that lists alternatives ("_(rms|mean|max)$") tells a reader something. */
function enumeratesAlternatives(pattern: string): boolean {
  return /\((?:[\w-]+\|){2,}[\w-]+\)/.test(pattern);
}

/** Drops what carries no meaning for a reader (see the file comment); recursive. */
function stripNoise(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripNoise);
  if (!isObject(node)) return node;
  // A start or input value: any JSON scalar or an FMI 3 array; the description says so.
  if (isScalarOrArrayUnion(node)) return {};
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if ((key === 'maximum' && value === SAFE) || (key === 'minimum' && value === -SAFE)) continue;
    if (key === 'propertyNames' && isObject(value)) {
      const names = stripNoise(value);
      if (isObject(names) && Object.keys(names).length === 1 && names.type === 'string') continue;
    }
    if (key === 'additionalProperties' && isObject(value) && Object.keys(value).length === 0) continue;
    // Strictness stays enforced: an unknown argument is refused with a "did you mean".
    if (key === 'additionalProperties' && value === false) continue;
    if ((key === 'minLength' || key === 'minItems') && value === 1) continue;
    // Numeric bounds are enforced with a coded error naming the bound; the descriptions say the
    // defaults an agent needs.
    if (key === 'minimum' || key === 'maximum' || key === 'exclusiveMinimum' || key === 'exclusiveMaximum') continue;
    if (key === 'maxLength' || key === 'maxItems') continue;
    if (key === 'pattern' && typeof value === 'string' && !enumeratesAlternatives(value)) continue;
    out[key] = key === 'properties' && isObject(value) ? mapValues(value, stripNoise) : stripNoise(value);
  }
  return out;
}

function mapValues(o: JsonObject, f: (v: Json) => Json): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

function withoutPaymentArguments(schema: JsonObject): JsonObject {
  if (!isObject(schema.properties)) return schema;
  const properties: JsonObject = {};
  for (const [k, v] of Object.entries(schema.properties)) if (!PAYMENT_ARGUMENTS.has(k)) properties[k] = v;
  const required = Array.isArray(schema.required)
    ? schema.required.filter((r) => typeof r !== 'string' || !PAYMENT_ARGUMENTS.has(r))
    : undefined;
  return { ...schema, properties, ...(required === undefined ? {} : { required }) };
}

/**
 * Shorter wording for the listing where the shared schema's description (also the REST API's
 * documentation) is longer than an agent needs; by argument path (the same name means the same
 * thing in every tool), array items transparent.
 */
const BRIEF: Record<string, string> = {
  query: 'Words to match. Omit for all.',
  step: "Output interval = CS step, s; default: the model's.",
  solver: 'ME only; auto: rk45, bdf from 50 states.',
  fixed_step: 'ME: euler step / max step, s.',
  start_values: 'By name, e.g. {"e": 0.7}; FMI 3 arrays nested.',
  'input_signals.values': 'One per time; held outside.',
  max_points: 'Inline series points, default 50.',
  run_id: 'From simulate or sweep.',
  stride: 'Every n-th row. Default 1.',
  format: 'csv (default) or json rows; mat/parquet/arrow: a file link.',
  max_rows: 'Default 500.',
  columns: 'Default: all.',
  tolerance: "Relative; default: the model's, else 1e-4.",
  run_ids: 'From simulate or sweep.',
  master: 'CS: gauss-seidel (default) or jacobi.',
  plot_variables: 'Default: numeric outputs.',
  path: 'Absolute local path (stdio only).',
  content_base64: 'The file, base64.',
  purpose: 'Quoted in the brief.',
};

/**
 * Arguments listed as one line instead of their nested schema: the shape fits in a sentence an
 * agent reads more easily than ~1.5k characters of JSON Schema (the server validates with the full
 * schema, and a wrong shape gets a coded error naming the field).
 */
const SUMMARY: Record<string, JsonObject> = {
  compile_options: {
    type: 'object',
    description: '{include_dirs?: ["include"], defines?: ["NAME=value"]}: to compile sources here; other options, other fmu_id.',
  },
  input_signals: {
    type: 'array',
    description:
      'Inputs over time: [{name, time: [s, non-decreasing], values: [one per time; held outside], interpolation?: "linear" (reals\' default) | "hold"}].',
  },
  limits: {
    type: 'array',
    description: '[{variable, kpi: final|min|max|mean|time_of_max|time_of_min|settle|settling_time|peak_to_peak|rms, min?, max?}]',
  },
  parameters: { type: 'array', description: '[{name, values: [numbers | booleans]}], ≤ 4; every combination runs.' },
  kpis: {
    type: 'array',
    description:
      '"<variable>_<metric>", metric rms|mean|min|max|final|peak_to_peak|integral|overshoot|rise_time|settling_time; e.g. "h_max".',
  },
  system: {
    type: 'object',
    description:
      '{components: {name: fmu_id | {fmu_id, interface?, fmi_version?}}, connections?: [["a.y","b.u"]], start_values?: {"b.k": 2}, inputs?: {name: ["a.u"]}, outputs?: {name: "a.y"}}',
  },
};

function applyBrief(node: Json, path: string): Json {
  if (!isObject(node)) return node;
  const summary = SUMMARY[path];
  if (summary !== undefined) return summary;
  const out: JsonObject = { ...node };
  const brief = BRIEF[path];
  if (brief !== undefined && typeof out.description === 'string') out.description = brief;
  if (isObject(out.items)) {
    const items = applyBrief(out.items, path);
    // The array's own description says it; its items need not repeat it.
    if (isObject(items) && brief !== undefined && typeof out.description === 'string') delete items.description;
    out.items = items;
  }
  if (isObject(out.properties)) {
    const props: JsonObject = {};
    for (const [k, v] of Object.entries(out.properties)) props[k] = applyBrief(v, path === '' ? k : `${path}.${k}`);
    out.properties = props;
  }
  return out;
}

export function compactInputSchema(schema: JsonObject, opts: ListingOptions): JsonObject {
  const clean = applyBrief(stripNoise(schema), '') as JsonObject;
  return opts.payments ? clean : withoutPaymentArguments(clean);
}

/** The output schema as listed: `status` and its values, or nothing when that is just success | error. */
export function compactOutputSchema(schema: JsonObject, opts: ListingOptions): JsonObject | undefined {
  const status = isObject(schema.properties) ? schema.properties.status : undefined;
  if (!isObject(status)) return undefined;
  const values = Array.isArray(status.enum) ? status.enum.filter((v) => opts.payments || v !== 'payment_required') : undefined;
  if (values === undefined || values.length <= 2) return undefined;
  return {
    type: 'object',
    properties: { status: values === undefined ? { type: 'string' } : { type: 'string', enum: values } },
    required: ['status'],
  };
}

/** Shorter than this, writing an argument once saves nothing. */
const MIN_SHARED_CHARS = 60;

/**
 * An argument defined exactly as in an earlier tool of the list (sweep repeats simulate's request;
 * fmu_id is everywhere) is written once: later tools keep only its type (the same name means the
 * same thing in every tool; sweep's description says "other arguments as in simulate"). The
 * server validates with the full schema.
 */
function shareArguments(tools: ListToolsResult['tools']): ListToolsResult['tools'] {
  // Argument (name + schema) → the tool that listed it first.
  const firstSeen = new Map<string, string>();
  return tools.map((tool) => {
    const props = (tool.inputSchema as JsonObject).properties;
    if (!isObject(props)) return tool;
    const shared: JsonObject = {};
    const required = new Set(((tool.inputSchema as JsonObject).required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries(props)) {
      const key = `${name}:${JSON.stringify(schema)}`;
      const first = firstSeen.get(key);
      if (first === undefined) {
        firstSeen.set(key, tool.name);
        shared[name] = schema;
      } else if (key.length - name.length <= MIN_SHARED_CHARS || !isObject(schema)) {
        shared[name] = schema;
      } else if (first === 'simulate' && !required.has(name)) {
        // Not repeated: sweep's and simulate_system's descriptions say "other arguments as in
        // simulate"; a listed schema without additionalProperties: false welcomes more arguments
        // (the server validates them with the full schema).
        continue;
      } else {
        // Named, with its type: the same name means the same thing in every tool.
        shared[name] = schema.type !== undefined ? { type: schema.type } : {};
      }
    }
    const inputSchema = { ...tool.inputSchema, properties: shared };
    return { ...tool, inputSchema: inputSchema as typeof tool.inputSchema };
  });
}

const DEFAULT_HINTS: Record<string, boolean> = { readOnlyHint: false, idempotentHint: false, destructiveHint: true, openWorldHint: true };

function withoutDefaultHints<T extends Record<string, unknown>>(annotations: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(annotations)) if (DEFAULT_HINTS[k] !== v) out[k] = v;
  return out as T;
}

export function compactToolList(list: ListToolsResult, opts: ListingOptions): ListToolsResult {
  const tools = list.tools.map((tool) => {
    // title: a display name for people (clients fall back to the name); not needed by the model.
    const { execution, annotations, title: _title, ...rest } = tool;
    const { outputSchema, ...listed } = rest;
    const t = {
      ...(execution !== undefined && !(Object.keys(execution).length === 1 && execution.taskSupport === 'forbidden') ? { execution } : {}),
      ...(annotations !== undefined ? { annotations: withoutDefaultHints(annotations) } : {}),
      ...listed,
      inputSchema: compactInputSchema(tool.inputSchema as JsonObject, opts) as typeof tool.inputSchema,
    };
    const output = outputSchema === undefined ? undefined : compactOutputSchema(outputSchema as JsonObject, opts);
    return output === undefined ? t : { ...t, outputSchema: output as typeof outputSchema };
  });
  return { ...list, tools: shareArguments(tools) };
}
