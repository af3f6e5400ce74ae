/**
 * MATLAB v4 in the Modelica result layout ("dsres", as Dymola, OpenModelica and FMPy write it;
 * read by OMEdit, Dymola, DyMat, SciPy's loadmat), rendered from a columnar result file and
 * streamed block by block:
 *
 *   Aclass       4 × 11 text   "Atrajectory" / "1.1" / "" / "binTrans"
 *   name         L × n text    one variable name per column ("binTrans": the matrices are stored transposed)
 *   description  L × n text    the variable's description, then " [unit]" or " [unit|displayUnit]"
 *   dataInfo     4 × n int32   per variable: matrix (0 time, 1 data_1, 2 data_2), row in it (1-based),
 *                              0 (linear interpolation), -1 / 0 (undefined / held outside the time range)
 *   data_1       n1 × 2 double time and the constant/fixed columns at the start and the end
 *   data_2       n2 × rows     time and the other columns, one column of values per time point
 *
 * Every value is a double: 64-bit integers beyond 2^53 are rounded (the CSV, Arrow and Parquet
 * exports keep them exact); Booleans are 0/1; String and Binary columns have no place in the
 * layout and are left out (`skippedMatColumns` names them).
 */
import { Readable } from 'node:stream';
import { isFixedColumn, type ColumnInfo, type ExportInfo } from './result-columns.ts';
import type { ColumnValues, ResultFile } from './result-file-reader.ts';

/** Time points per streamed block of data_2. */
const BLOCK_ROWS = 16_384;

/** MOPT type codes: little-endian (M=0), precision P (0 double, 2 int32, 5 uint8), T (0 numeric, 1 text). */
const TYPE_DOUBLE = 0;
const TYPE_INT32 = 20;
const TYPE_TEXT = 51;

function header(type: number, mrows: number, ncols: number, name: string): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const h = Buffer.alloc(20 + nameBytes.byteLength);
  h.writeInt32LE(type, 0);
  h.writeInt32LE(mrows, 4);
  h.writeInt32LE(ncols, 8);
  h.writeInt32LE(0, 12); // no imaginary part
  h.writeInt32LE(nameBytes.byteLength, 16);
  nameBytes.copy(h, 20);
  return h;
}

/** Strings as a text matrix: transposed (one string per column), padded with blanks to the longest. */
function textColumns(name: string, strings: readonly string[]): Buffer {
  const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
  const len = Math.max(1, ...encoded.map((b) => b.byteLength));
  const body = Buffer.alloc(len * strings.length, 0x20);
  encoded.forEach((b, i) => b.copy(body, i * len));
  return Buffer.concat([header(TYPE_TEXT, len, strings.length, name), body]);
}

/** Strings as the rows of a text matrix (Aclass is not transposed): column-major bytes. */
function textRows(name: string, rows: readonly string[]): Buffer {
  const len = Math.max(...rows.map((r) => r.length));
  const body = Buffer.alloc(len * rows.length, 0x20);
  rows.forEach((r, i) => {
    for (let k = 0; k < r.length; k++) body[k * rows.length + i] = r.charCodeAt(k);
  });
  return Buffer.concat([header(TYPE_TEXT, rows.length, len, name), body]);
}

function doubles(values: Float64Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** The text Dymola and OMEdit read a unit from: "description [unit|displayUnit]". */
export function matDescription(info: ColumnInfo | undefined, unit: string | undefined): string {
  const text = info?.description ?? '';
  const u = unit ?? info?.unit;
  if (u === undefined || u === '') return text;
  const display = info?.display_unit !== undefined && info.display_unit !== u ? `|${info.display_unit}` : '';
  return `${text}${text === '' ? '' : ' '}[${u}${display}]`;
}

/** The file's columns that the layout cannot hold (String, Binary). */
export function skippedMatColumns(file: ResultFile): string[] {
  return file.columns.filter((c) => c.storage === 'string').map((c) => c.name);
}

/** Values of a block as doubles (64-bit integers to the nearest double, Booleans 0/1). */
function asDoubles(v: ColumnValues): Float64Array {
  if (v instanceof Float64Array) return v;
  if (v instanceof Uint8Array) return Float64Array.from(v);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  throw new TypeError('a text column has no numbers');
}

export function renderMat(file: ResultFile, info: ExportInfo): Readable {
  return Readable.from(matChunks(file, info), { objectMode: false });
}

async function* matChunks(file: ResultFile, info: ExportInfo): AsyncGenerator<Buffer> {
  const rows = file.rows;
  const numeric = file.columns.map((c, i) => ({ c, i, info: info.columns.get(c.name) })).filter(({ c }) => c.storage !== 'string');
  const fixed = numeric.filter((x) => isFixedColumn(x.info));
  const varying = numeric.filter((x) => !isFixedColumn(x.info));
  const names = ['time', ...fixed.map((x) => x.c.name), ...varying.map((x) => x.c.name)];
  const descriptions = ['Time in [s]', ...[...fixed, ...varying].map((x) => matDescription(x.info, x.c.unit))];
  const dataInfo = new Int32Array(4 * names.length);
  const setInfo = (k: number, matrix: number, row: number, outside: number): void => {
    dataInfo.set([matrix, row, 0, outside], 4 * k);
  };
  setInfo(0, 0, 1, -1);
  fixed.forEach((_, j) => setInfo(1 + j, 1, 2 + j, 0));
  varying.forEach((_, j) => setInfo(1 + fixed.length + j, 2, 2 + j, -1));

  // data_1: time and each fixed column at the start and at the end of the run.
  const firstTime = rows > 0 ? ((await file.readTime(0, 1))[0] as number) : (info.startTime ?? 0);
  const lastTime = rows > 0 ? ((await file.readTime(rows - 1, rows))[0] as number) : (info.stopTime ?? firstTime);
  const n1 = 1 + fixed.length;
  const data1 = new Float64Array(n1 * 2);
  data1[0] = firstTime;
  data1[n1] = lastTime;
  for (let j = 0; j < fixed.length; j++) {
    const col = (fixed[j] as (typeof fixed)[number]).i;
    const first = rows > 0 ? asDoubles(await file.readColumn(col, 0, 1))[0] : NaN;
    const last = rows > 0 ? asDoubles(await file.readColumn(col, rows - 1, rows))[0] : NaN;
    data1[1 + j] = first ?? NaN;
    data1[n1 + 1 + j] = last ?? NaN;
  }
  yield Buffer.concat([
    textRows('Aclass', ['Atrajectory', '1.1', '', 'binTrans']),
    textColumns('name', names),
    textColumns('description', descriptions),
    header(TYPE_INT32, 4, names.length, 'dataInfo'),
    Buffer.from(dataInfo.buffer),
    header(TYPE_DOUBLE, n1, 2, 'data_1'),
    doubles(data1),
    header(TYPE_DOUBLE, 1 + varying.length, rows, 'data_2'),
  ]);

  // data_2, transposed: the values of one time point are contiguous, so rows stream in order.
  const n2 = 1 + varying.length;
  for (let from = 0; from < rows; from += BLOCK_ROWS) {
    const to = Math.min(rows, from + BLOCK_ROWS);
    const [time, ...values] = await Promise.all([file.readTime(from, to), ...varying.map((x) => file.readColumn(x.i, from, to))]);
    const cols = [time as Float64Array, ...values.map((v) => asDoubles(v as ColumnValues))];
    const n = to - from;
    const out = new Float64Array(n * n2);
    for (let c = 0; c < n2; c++) {
      const a = cols[c] as Float64Array;
      for (let r = 0; r < n; r++) out[r * n2 + c] = a[r] as number;
    }
    yield doubles(out);
  }
}
