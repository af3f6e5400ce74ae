/**
 * A failed parse of a tool's arguments → one BAD_REQUEST GatewayError an agent can act on: each
 * problem as "<path>: <what is wrong>", unknown argument names with the closest valid one, and a
 * hint. Shared by the MCP tools (whose SDK would otherwise answer with bare text, no error code)
 * and the CLI.
 */
import { z } from 'zod';
import { ERROR_CODES, GatewayError, type ErrorCode } from '../errors.ts';

function isErrorCode(s: string): s is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(s);
}

/** At most this many problems in the message; all of them are in data.issues. */
const MAX_LISTED = 5;

/** ['input_signals', 0, 'time'] → "input_signals[0].time". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The valid name an agent most likely meant ("stoptime" → "stop_time", "start_value" → "start_values"). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[_\-\s]/g, '');
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = norm(c) === norm(name) ? 0 : editDistance(name.toLowerCase(), c.toLowerCase());
    if (best === undefined || d < best.d) best = { name: c, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; items?: JsonSchemaNode; additionalProperties?: unknown };

/** Property names allowed at `path` of the schema (read from its JSON Schema, which lists them). */
function propertiesAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: JsonSchemaNode | undefined;
  try {
    node = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  } catch {
    return [];
  }
  for (const p of path) {
    node = typeof p === 'number' ? node?.items : node?.properties?.[String(p)];
  }
  return Object.keys(node?.properties ?? {});
}

export interface ArgumentIssue {
  path: string;
  message: string;
}

interface Described {
  /** Where ("" = the arguments object itself) and what is wrong there. */
  at: string;
  what: string;
  /** For unknown names: the names valid at that place. */
  valid?: string[];
}

/** One readable problem per zod issue; unknown names get a "did you mean". */
function describe(schema: z.ZodType, issue: z.core.$ZodIssue): Described {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const valid = propertiesAt(schema, issue.path);
    const names = issue.keys.map((k) => {
      const guess = closestName(k, valid);
      return guess === undefined ? `"${k}"` : `"${k}" (did you mean "${guess}"?)`;
    });
    return { at, what: `unknown ${at === '' ? 'argument' : 'field'}${names.length > 1 ? 's' : ''} ${names.join(', ')}`, valid };
  }
  // zod says "expected string, received undefined" for a missing field: say "required".
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return { at, what: `required (${issue.expected})` };
  }
  return { at, what: issue.message };
}

const line = (d: Described): string => (d.at === '' ? d.what : `${d.at}: ${d.what}`);

/** The BAD_REQUEST for arguments of `tool` that failed `schema` (the message names every problem). */
export function invalidArguments(tool: string, schema: z.ZodType, error: z.ZodError): GatewayError {
  const described = error.issues.map((i) => describe(schema, i));
  const listed = described.slice(0, MAX_LISTED).map(line);
  const more = described.length > MAX_LISTED ? `; and ${described.length - MAX_LISTED} more (see error.data.issues)` : '';
  const unknown = described.find((d) => d.valid !== undefined);
  const hint =
    unknown?.valid !== undefined && unknown.valid.length > 0
      ? unknown.at === ''
        ? `Use only the argument names ${tool} accepts: ${unknown.valid.join(', ')}.`
        : `In ${unknown.at} use only: ${unknown.valid.join(', ')}.`
      : `Correct the argument(s) named above and call ${tool} again; its input schema gives every argument's type and range.`;
  const issues: ArgumentIssue[] = described.map((d) => ({ path: d.at, message: d.what }));
  // A refinement may name the code its problem has everywhere else (too many rows is
  // OUTPUT_LIMIT_EXCEEDED, as the service says too); used when it is the only problem.
  const only = error.issues.length === 1 ? error.issues[0] : undefined;
  const params = only?.code === 'custom' ? (only.params as Record<string, unknown> | undefined) : undefined;
  const coded = params !== undefined && typeof params.error_code === 'string' && isErrorCode(params.error_code) ? params : undefined;
  if (coded !== undefined) {
    const { error_code: code, ...data } = coded;
    return new GatewayError(code as ErrorCode, `Invalid arguments for ${tool}: ${listed.join('; ')}`, {
      ...data,
      issues,
      hint: listed[0] ?? hint,
    });
  }
  return new GatewayError('BAD_REQUEST', `Invalid arguments for ${tool}: ${listed.join('; ')}${more}`, { issues, hint });
}
