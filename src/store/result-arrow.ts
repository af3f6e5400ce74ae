/**
 * Arrow IPC (file format, ".arrow": pyarrow.ipc.open_file / feather, polars.read_ipc, DuckDB)
 * rendered from a columnar result file, one record batch per block of rows, streamed as it is
 * read. Types are kept: float64, exact int64 / uint64, bool, utf8; each field carries the FMI
 * type and the unit as metadata.
 */
import type { Readable } from 'node:stream';
import {
  Bool,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Uint64,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { ColumnStorage } from '../schemas/result-file.ts';
import type { CsvSlice } from './result-csv.ts';
import type { ColumnValues, ResultFile } from './result-file-reader.ts';

/** Rows per record batch. */
const BATCH_ROWS = 65_536;

function arrowType(storage: ColumnStorage): DataType {
  switch (storage) {
    case 'float64':
      return new Float64();
    case 'int64':
      return new Int64();
    case 'uint64':
      return new Uint64();
    case 'bool':
      return new Bool();
    case 'string':
      return new Utf8();
  }
}

function columnData(type: DataType, v: ColumnValues): Data {
  if (v instanceof Float64Array) return makeData({ type: type as Float64, length: v.length, nullCount: 0, data: v });
  if (v instanceof BigInt64Array) return makeData({ type: type as Int64, length: v.length, nullCount: 0, data: v });
  if (v instanceof BigUint64Array) return makeData({ type: type as Uint64, length: v.length, nullCount: 0, data: v });
  if (v instanceof Uint8Array)
    return vectorFromArray(
      Array.from(v, (b) => b !== 0),
      new Bool(),
    ).data[0] as Data;
  return vectorFromArray(v, new Utf8()).data[0] as Data;
}

export function renderArrow(file: ResultFile, slice: Omit<CsvSlice, 'every'> = {}): Readable {
  const cols = slice.columns ?? file.columns.map((_, i) => i);
  const start = Math.max(0, Math.min(file.rows, slice.startRow ?? 0));
  const end = Math.max(start, Math.min(file.rows, slice.endRow ?? file.rows));
  const fields = [
    new Field('time', new Float64(), false),
    ...cols.map((i) => {
      const c = file.columns[i];
      if (c === undefined) throw new RangeError(`no column ${i}`);
      const meta = new Map<string, string>([['fmi_type', c.fmi_type]]);
      if (c.unit !== undefined) meta.set('unit', c.unit);
      return new Field(c.name, arrowType(c.storage), false, meta);
    }),
  ];
  const schema = new Schema(fields);
  const writer = new RecordBatchFileWriter();
  const out = writer.toNodeStream();
  const produce = async (): Promise<void> => {
    // An empty result still gets its schema (a zero-row batch).
    for (let from = start; from < end || from === start; from += BATCH_ROWS) {
      const to = Math.min(end, from + BATCH_ROWS);
      const [time, ...values] = await Promise.all([file.readTime(from, to), ...cols.map((i) => file.readColumn(i, from, to))]);
      const children = [
        columnData(fields[0]?.type as DataType, time as Float64Array),
        ...values.map((v, k) => columnData(fields[k + 1]?.type as DataType, v as ColumnValues)),
      ];
      writer.write(new RecordBatch(schema, makeData({ type: new Struct(fields), length: to - from, nullCount: 0, children })));
      if (to >= end) break;
      // Let the reader take what is written before the next batch.
      await new Promise((r) => setImmediate(r));
    }
    writer.finish();
  };
  produce().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}
