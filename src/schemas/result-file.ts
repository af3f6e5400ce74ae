/**
 * The columnar result file (`result.cols`) a simulation worker writes and the gateway indexes:
 *
 *   "FGCOLS01" | column blocks, each 8-byte aligned | footer (JSON, utf-8) | u32 LE footer bytes | "FGCOLS01"
 *
 * Numeric blocks are the raw little-endian values (a Float64Array's bytes, written in one call);
 * a string block is (rows + 1) u32 LE offsets followed by the utf-8 bytes. The footer says where
 * each block is. The worker runs FMU code, so the parent treats the footer as hostile input:
 * ResultFileFooterSchema plus the bounds checks in src/store/result-file-reader.ts.
 */
import { z } from 'zod';
import { VariableTypeSchema } from './model-description.ts';

export { RESULT_FILE_MAGIC } from './result-file-magic.ts';
/** Magic + u32 footer length + u32 reserved, at the start (magic) and the end (length, magic). */
export const RESULT_FILE_HEAD_BYTES = 8;
export const RESULT_FILE_TAIL_BYTES = 16;
/** Footers are small (a few hundred bytes per column): refuse absurd ones before reading them. */
export const RESULT_FILE_MAX_FOOTER_BYTES = 16 * 1024 * 1024;

/**
 * How a column is stored. float64 holds FMI Float32/Float64 and, until exact columns exist,
 * every other number; int64/uint64 are exact 64-bit integers; bool is one byte per row.
 */
export const ColumnStorageSchema = z.enum(['float64', 'int64', 'uint64', 'bool', 'string']);
export type ColumnStorage = z.infer<typeof ColumnStorageSchema>;

/** Bytes per row of a fixed-width storage (string blocks: 4 bytes of offset per row + 4, plus the text). */
export const STORAGE_WIDTH: Record<Exclude<ColumnStorage, 'string'>, number> = { float64: 8, int64: 8, uint64: 8, bool: 1 };

const ByteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const ResultBlockSchema = z.strictObject({ offset: ByteCount, bytes: ByteCount });
export type ResultBlock = z.infer<typeof ResultBlockSchema>;

export const ResultFileColumnSchema = z.strictObject({
  name: z.string().min(1).max(4096),
  /** The FMI variable type the values came from (CSV renders Boolean as 0/1, Binary as hex text). */
  fmi_type: VariableTypeSchema,
  unit: z.string().max(1024).optional(),
  storage: ColumnStorageSchema,
  block: ResultBlockSchema,
});
export type ResultFileColumn = z.infer<typeof ResultFileColumnSchema>;

export const ResultFileFooterSchema = z.strictObject({
  format: z.literal('fmu-gateway-columns'),
  version: z.literal(1),
  rows: ByteCount,
  /** The simulation time of every row (float64). */
  time: ResultBlockSchema,
  /** ME: one byte per row, 1 where the row was recorded at an event. */
  event_rows: ResultBlockSchema.optional(),
  columns: z.array(ResultFileColumnSchema).max(100_000),
});
export type ResultFileFooter = z.infer<typeof ResultFileFooterSchema>;

/**
 * The worker's reductions of a result (src/engine/result-digest.ts), checked by the pool like
 * every worker message: the shapes and sizes the answer builder relies on.
 */
const DigestNumber = z.number().nullable();
export const ResultDigestSchema = z.strictObject({
  summary: z.record(
    z.string(),
    z.strictObject({
      min: DigestNumber,
      max: DigestNumber,
      mean: DigestNumber,
      final: DigestNumber,
      unit: z.string().optional(),
      non_finite: z.number().int().nonnegative().optional(),
    }),
  ),
  skipped: z.array(z.string()),
  warnings: z.array(z.string()).max(100_000),
  kpis: z.record(z.string(), DigestNumber),
  series: z
    .array(z.strictObject({ points: z.number().int().min(2), values: z.record(z.string(), z.array(DigestNumber).max(1_000_000)) }))
    .max(8),
  eventTimes: z.array(z.number()).max(1000),
});
