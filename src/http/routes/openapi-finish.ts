/**
 * The last pass over the generated OpenAPI document (transformObject), for what route schemas do
 * not say one by one: the statuses every keyed route can answer (401, 429) and the Retry-After
 * header of 429 / 503 / 507, an operationId on every operation, examples from real library
 * models, and descriptions that survive Markdown rendering (a bare "Bearer <key>" would be read as
 * an HTML tag and vanish: such tokens become code spans).
 */
type Json = Record<string, unknown>;
type Operation = Json & { responses?: Record<string, Json>; security?: unknown[]; operationId?: string; requestBody?: Json };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

const RETRY_AFTER = {
  description: 'Seconds to wait before trying again.',
  schema: { type: 'integer', minimum: 0 },
};

const ERROR_REF_DESCRIPTIONS: Record<string, string> = {
  '401': 'No key, or an unknown one: send `Authorization: Bearer <key>` with a key from POST /keys.',
  '429': 'Too many requests for this key (or address): wait for Retry-After seconds.',
};

/** Per-operation request body examples, by "METHOD path". */
export type Examples = Record<string, unknown>;

/** Wraps each whitespace-free token holding "<...>" in a code span, outside existing code spans. */
export function protectAngleBrackets(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[^\s`"'(),;]*<[^<>\s]+>[^\s`"'(),;]*/g, (tok) => `\`${tok}\``)))
    .join('');
}

function protectDescriptions(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) protectDescriptions(n);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Json;
  for (const [k, v] of Object.entries(obj)) {
    if ((k === 'description' || k === 'summary') && typeof v === 'string') obj[k] = protectAngleBrackets(v);
    else if (k !== 'example' && k !== 'examples') protectDescriptions(v);
  }
}

function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()));
  return method + words.map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1)).join('');
}

/** A copy of the error schema of some response, for statuses added here. */
function errorSchemaOf(op: Operation): Json | undefined {
  for (const r of Object.values(op.responses ?? {})) {
    const s = (r.content as Record<string, { schema?: Json }> | undefined)?.['application/json']?.schema;
    if (s !== undefined && JSON.stringify(s).includes('"detail"')) return s;
  }
  return undefined;
}

export function finishDocument<T extends object>(doc: T, opts: { examples: Examples; errorSchema?: Json }): T {
  const paths = (doc as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      op.operationId ??= operationIdOf(method, path);
      op.responses ??= {};
      const keyed = !(Array.isArray(op.security) && op.security.length === 0);
      const errorSchema = errorSchemaOf(op) ?? opts.errorSchema;
      const add = (status: string) => {
        if (op.responses?.[status] !== undefined) return;
        op.responses = {
          ...op.responses,
          [status]: {
            description: ERROR_REF_DESCRIPTIONS[status] ?? 'Error',
            ...(errorSchema === undefined ? {} : { content: { 'application/json': { schema: errorSchema } } }),
          },
        };
      };
      if (keyed) add('401');
      // Every route is rate limited but the Stripe webhook (bursts after an outage are legitimate).
      if (path !== '/webhooks/stripe') add('429');
      for (const status of ['429', '503', '507']) {
        const r = op.responses[status];
        if (r !== undefined) r.headers = { ...(r.headers as Json | undefined), 'Retry-After': RETRY_AFTER };
      }
      const example = opts.examples[`${method.toUpperCase()} ${path}`];
      const json = (op.requestBody?.content as Record<string, Json> | undefined)?.['application/json'];
      if (example !== undefined && json !== undefined) json.example = example;
    }
  }
  protectDescriptions(doc);
  return doc;
}
