/**
 * REST encodings of the tool inputs: the same concepts as the MCP tools' schemas, with what HTTP
 * moves elsewhere (fmu_id into the path) or delivers as strings (query parameters, coerced).
 */
import { z } from 'zod';
import { RemoteStatusSchema } from './remote.ts';
import { RunRecordSchema } from './accounts.ts';
import { ListLibraryInputSchema } from './library.ts';
import { SimulateCompletedSchema } from './simulate.ts';
import { GetVariablesInputSchema } from './variables.ts';

const coerced = <T extends z.ZodType>(inner: T) => z.preprocess((v) => (typeof v === 'string' && v !== '' ? Number(v) : v), inner);

export const LibraryQuerySchema = ListLibraryInputSchema.extend({
  limit: coerced(ListLibraryInputSchema.shape.limit),
});

export const VariablesQuerySchema = GetVariablesInputSchema.omit({ fmu_id: true }).extend({
  limit: coerced(GetVariablesInputSchema.shape.limit),
});

export const FmuPathParamsSchema = z.object({
  id: z.string().max(300).describe('fmu_id: "msl:<Name>" or "sha256:<hex>" (URL-encode the colon or not, both work).'),
});

export const Sha256ParamsSchema = z.object({
  sha: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits')
    .describe('sha256 of the .fmu bytes (64 lowercase hex digits).'),
});

export const RunPathParamsSchema = z.object({ id: z.string().max(100).describe('run_id returned by POST /simulate.') });

export const UsageQuerySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional().describe('Only records at or after this ISO 8601 time.'),
  limit: coerced(z.number().int().min(1).max(10_000).optional()).describe('Most recent records first; at most this many (default 1000).'),
  cursor: z.string().max(512).optional().describe('next_cursor of the previous page.'),
});

export const HealthChecksSchema = z
  .object({
    store: z.object({ ok: z.boolean(), backend: z.string(), latency_ms: z.number().optional(), error: z.string().optional() }),
    disk: z.object({
      ok: z.boolean(),
      free_bytes: z.number().optional(),
      total_bytes: z.number().optional(),
      error: z.string().optional(),
    }),
  })
  .describe('What the status is made of: the account store answers, the data directory has room.');

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']).describe('"degraded" (HTTP 503) when the store or the disk fails: send traffic elsewhere.'),
  checks: HealthChecksSchema.optional(),
  version: z.string(),
  mode: z.string(),
  store: z.string().describe('Storage backend: sqlite, postgres or redis.'),
  isolation: z.record(z.string(), z.unknown()),
  remote: RemoteStatusSchema,
});

export const UploadedBySha256Schema = z.object({
  fmu_id: z.string(),
  sha256: z.string(),
  size_bytes: z.number().int().nonnegative(),
  model_name: z.string(),
  fmi_version: z.string(),
});

/** POST /simulate's answer: the simulate tool's `completed` result plus HTTP links. */
export const SimulateRestOutputSchema = SimulateCompletedSchema.extend({
  result_url: z.string().describe('GET this path (with your key) for the full CSV; HTTP Range requests are supported.'),
  plot_png_base64: z.string().optional().describe('The PNG chart, base64, when the request had plot: true.'),
});

export const RunInfoSchema = z.object({
  run: RunRecordSchema.omit({ key_hash: true }),
  result_url: z.string(),
  meta: z.record(z.string(), z.unknown()).describe('Provenance, summary, KPIs and columns of the run.'),
});
