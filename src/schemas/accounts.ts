/**
 * Accounts of the hosted gateway: API keys, usage records, run and upload ownership. The store
 * parses what it reads with these (a corrupted row is an error, not a wrong answer), and the REST
 * API answers with them (POST /keys, GET /usage, GET /runs/{id}).
 */
import { z } from 'zod';

/** sha256 hex of an API key; the key itself is never stored. */
export const KeyHashSchema = z.string().regex(/^[0-9a-f]{64}$/);

/** Who made a request: a key's hash, or "anonymous" for keyless local use (loopback MCP, CLI). */
export const ANONYMOUS_CALLER = 'anonymous' as const;
export const CallerIdSchema = z.union([KeyHashSchema, z.literal(ANONYMOUS_CALLER)]);
export type CallerId = z.infer<typeof CallerIdSchema>;

export const ApiKeyRecordSchema = z.object({
  key_hash: KeyHashSchema,
  /** The first characters of the key, to tell keys apart in listings without revealing them. */
  key_prefix: z.string(),
  created_at: z.string(),
  label: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

export const CreateKeyInputSchema = z
  .strictObject({
    label: z.string().max(200).optional().describe('A name for the key, for your own bookkeeping.'),
  })
  .describe('Optional body of POST /keys.');
export type CreateKeyInput = z.infer<typeof CreateKeyInputSchema>;

export const CreateKeyOutputSchema = z.object({
  key: z.string().describe('The API key. Send it as "Authorization: Bearer <key>". Shown only once: it is stored as a hash.'),
  key_prefix: z.string(),
  created_at: z.string(),
  label: z.string().optional(),
});
export type CreateKeyOutput = z.infer<typeof CreateKeyOutputSchema>;

export const USAGE_STATUSES = ['completed', 'failed', 'payment_required'] as const;

export const UsageRecordSchema = z.object({
  key_hash: CallerIdSchema,
  /** ISO 8601 time the request finished. */
  time: z.string(),
  fmu_id: z.string(),
  duration_ms: z.number().nonnegative(),
  rows: z.number().int().nonnegative(),
  status: z.enum(USAGE_STATUSES),
  run_id: z.string().optional(),
  error_code: z.string().optional(),
  /** Which face served it. */
  surface: z.enum(['rest', 'mcp', 'cli']).optional(),
});
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

export const UsageListSchema = z.object({
  records: z.array(UsageRecordSchema.omit({ key_hash: true })),
  total_runs: z.number().int().nonnegative(),
  total_rows: z.number().int().nonnegative(),
  total_duration_ms: z.number().nonnegative(),
  next_cursor: z
    .string()
    .optional()
    .describe('Present when older records remain: pass it as `cursor` to get the next page. Totals cover every record, not the page.'),
});
export type UsageList = z.infer<typeof UsageListSchema>;

export const RunRecordSchema = z.object({
  run_id: z.string(),
  key_hash: CallerIdSchema,
  fmu_id: z.string(),
  created_at: z.string(),
  status: z.enum(['completed', 'failed']),
  rows: z.number().int().nonnegative(),
  result_bytes: z.number().int().nonnegative(),
  duration_ms: z.number().nonnegative(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** What is known of an uploaded FMU's bytes (one per sha256, whoever uploaded it). */
export const UploadRecordSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size_bytes: z.number().int().nonnegative(),
  model_name: z.string(),
  fmi_version: z.string(),
  first_uploaded_at: z.string(),
});
export type UploadRecord = z.infer<typeof UploadRecordSchema>;

/** One caller's claim on an upload: it sees the FMU while this exists. */
export const UploadOwnershipSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  key_hash: CallerIdSchema,
  uploaded_at: z.string(),
  last_used_at: z.string(),
  /** The upload's size, kept on the claim so the caller's disk counter follows it (absent on records written before). */
  size_bytes: z.number().int().nonnegative().optional(),
});
export type UploadOwnership = z.infer<typeof UploadOwnershipSchema>;

/** The one caller of a local face (stdio MCP, CLI): payments and run ownership use the same id. */
export const LOCAL_CALLER = 'local';
