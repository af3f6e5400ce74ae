/**
 * Arrow IPC (file format, ".arrow": pyarrow.ipc.open_file / feather, polars.read_ipc, DuckDB)
 * rendered from a columnar result file, one record batch per block of rows, streamed as it is
 * read. Each column has its FMI variable's type (Float32/64, Int8 … UInt64 exact, Boolean, Utf8).
 *
 * Field metadata uses the vocabulary of arrow.modelica (OpenModelica's tool-neutral Arrow result
 * layout, format 1): `unit`, `displayUnit`, `description`, and FMI's `causality` and
 * `variability`, plus `fmi_type`; the schema carries `modelica.startTime` / `modelica.stopTime`.
 * The same schema and batches feed the Parquet export (result-parquet.ts), where Arrow-aware
 * readers (pyarrow, polars) get the field metadata back from the embedded Arrow schema.
 */
import type { Readable } from 'node:stream';
import {
  Bool,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { VariableType } from '../schemas/model-description.ts';
import type { ColumnStorage } from '../schemas/result-file.ts';
import type { ExportInfo } from './result-columns.ts';
import type { CsvSlice } from './result-csv.ts';
import type { ColumnValues, ResultFile } from './result-file-reader.ts';

/** Rows per record batch. */
const BATCH_ROWS = 65_536;

/**
 * The Arrow type of a column: the FMI variable's own type, as arrow.modelica maps them (Float32,
 * Int8 … UInt64, Boolean, Utf8). The result file keeps small integers, Float32 and Booleans as
 * float64 (exact for each of them); they are narrowed back here.
 */
function arrowType(storage: ColumnStorage, fmiType: VariableType): DataType {
  switch (storage) {
    case 'int64':
      return new Int64();
    case 'uint64':
      return new Uint64();
    case 'bool':
      return new Bool();
    case 'string':
      return new Utf8();
    case 'float64':
      break;
  }
  switch (fmiType) {
    case 'Float32':
      return new Float32();
    case 'Int8':
      return new Int8();
    case 'UInt8':
      return new Uint8();
    case 'Int16':
      return new Int16();
    case 'UInt16':
      return new Uint16();
    case 'Int32':
    case 'Enumeration':
      return new Int32();
    case 'UInt32':
      return new Uint32();
    case 'Boolean':
    case 'Clock':
      return new Bool();
    default:
      return new Float64();
  }
}

const NARROW: Partial<Record<string, new (n: number) => ArrayLike<number> & { [i: number]: number }>> = {
  Float32: Float32Array,
  Int8: Int8Array,
  Uint8: Uint8Array,
  Int16: Int16Array,
  Uint16: Uint16Array,
  Int32: Int32Array,
  Uint32: Uint32Array,
};

function boolData(n: number, at: (i: number) => boolean): Data {
  // Arrow booleans are bits, least significant first.
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (at(i)) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  return makeData({ type: new Bool(), length: n, nullCount: 0, data: bits });
}

function columnData(type: DataType, v: ColumnValues): Data {
  if (type instanceof Bool) {
    if (Array.isArray(v)) throw new TypeError('a text column is not Boolean');
    const a = v as ArrayLike<number | bigint>;
    return boolData(a.length, (i) => a[i] !== 0 && a[i] !== 0n);
  }
  if (v instanceof Float64Array) {
    const Narrow = NARROW[String(type)];
    if (Narrow !== undefined) {
      const out = new Narrow(v.length);
      for (let i = 0; i < v.length; i++) out[i] = v[i] as number;
      return makeData({ type: type as Float32, length: v.length, nullCount: 0, data: out as unknown as Float32Array });
    }
    return makeData({ type: type as Float64, length: v.length, nullCount: 0, data: v });
  }
  if (v instanceof BigInt64Array) return makeData({ type: type as Int64, length: v.length, nullCount: 0, data: v });
  if (v instanceof BigUint64Array) return makeData({ type: type as Uint64, length: v.length, nullCount: 0, data: v });
  return vectorFromArray(v as string[], new Utf8()).data[0] as Data;
}

export type ArrowSlice = Omit<CsvSlice, 'every'>;

/** The schema of an export: time, then the chosen columns with their metadata. */
export function resultSchema(file: ResultFile, cols: readonly number[], info?: ExportInfo): Schema {
  const fields = [
    new Field('time', new Float64(), false, new Map([['unit', 's']])),
    ...cols.map((i) => {
      const c = file.columns[i];
      if (c === undefined) throw new RangeError(`no column ${i}`);
      const meta = new Map<string, string>([['fmi_type', c.fmi_type]]);
      const ci = info?.columns.get(c.name);
      const unit = c.unit ?? ci?.unit;
      if (unit !== undefined) meta.set('unit', unit);
      if (ci?.display_unit !== undefined) meta.set('displayUnit', ci.display_unit);
      if (ci?.description !== undefined) meta.set('description', ci.description);
      if (ci?.causality !== undefined) meta.set('causality', ci.causality);
      if (ci?.variability !== undefined) meta.set('variability', ci.variability);
      return new Field(c.name, arrowType(c.storage, c.fmi_type), false, meta);
    }),
  ];
  const meta = new Map<string, string>();
  if (info?.startTime !== undefined) meta.set('modelica.startTime', String(info.startTime));
  if (info?.stopTime !== undefined) meta.set('modelica.stopTime', String(info.stopTime));
  return new Schema(fields, meta);
}

/** The rows of a slice as record batches of at most BATCH_ROWS rows (an empty result: one empty batch). */
export async function* resultBatches(
  file: ResultFile,
  schema: Schema,
  cols: readonly number[],
  slice: ArrowSlice = {},
): AsyncGenerator<RecordBatch> {
  const start = Math.max(0, Math.min(file.rows, slice.startRow ?? 0));
  const end = Math.max(start, Math.min(file.rows, slice.endRow ?? file.rows));
  const fields = schema.fields;
  for (let from = start; from < end || from === start; from += BATCH_ROWS) {
    const to = Math.min(end, from + BATCH_ROWS);
    const [time, ...values] = await Promise.all([file.readTime(from, to), ...cols.map((i) => file.readColumn(i, from, to))]);
    const children = [
      columnData(fields[0]?.type as DataType, time as Float64Array),
      ...values.map((v, k) => columnData(fields[k + 1]?.type as DataType, v as ColumnValues)),
    ];
    yield new RecordBatch(schema, makeData({ type: new Struct(fields), length: to - from, nullCount: 0, children }));
    if (to >= end) break;
  }
}

export function renderArrow(file: ResultFile, slice: ArrowSlice = {}, info?: ExportInfo): Readable {
  const cols = slice.columns ?? file.columns.map((_, i) => i);
  const schema = resultSchema(file, cols, info);
  const writer = new RecordBatchFileWriter();
  const out = writer.toNodeStream();
  const produce = async (): Promise<void> => {
    for await (const batch of resultBatches(file, schema, cols, slice)) {
      writer.write(batch);
      // Let the reader take what is written before the next batch.
      await new Promise((r) => setImmediate(r));
    }
    writer.finish();
  };
  produce().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}
