/**
 * CSV rendered lazily from a columnar result file: blocks of rows are read from disk and turned
 * into text one block at a time, so a million-row result never becomes one string and the event
 * loop gets a turn between blocks (each read is asynchronous). Header "time,<column>,...";
 * numbers as the shortest round-trip decimal, NaN/Inf/-Inf spelled as CSV readers expect;
 * 64-bit integers exactly; booleans 0/1; text quoted when it must be. Times on the output grid
 * are printed without floating-point noise (time-format.ts).
 *
 * Hot path (every column a float64, the usual result): each block is written as bytes straight
 * into one Buffer — grid times digit by digit (gridTimeWriter), each value's shortest round-trip
 * text (V8's own, the one string per number) copied in by char code — no per-row strings,
 * concatenation or utf-8 encoding. Other shapes build a string per block.
 */
import type { ColumnValues, ResultFile } from './result-file-reader.ts';
import { gridTimeWriter, timeFormatter, type TimeGrid } from './time-format.ts';

/** Rows per block: ~1 MB of text for a few columns, a few ms of formatting. */
const BLOCK_ROWS = 16_384;

export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest round-trip decimal; NaN/±Infinity spelled as most CSV readers expect. */
export function csvNumber(v: number): string {
  // `v - v === 0` is false exactly for NaN and ±Infinity (cheaper than Number.isFinite in the hot loop).
  if (v - v === 0) return '' + v;
  return v !== v ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
}

export interface CsvSlice {
  /** Indexes of the file's columns to include, in this order (default all). */
  columns?: readonly number[];
  /** First row (inclusive) and last row (exclusive); default the whole result. */
  startRow?: number;
  endRow?: number;
  /** Take every n-th row of the range (decimation; default 1). */
  every?: number;
}

export interface CsvOptions {
  /** The run's output grid (start time, output interval): times on it print without float noise. */
  grid?: TimeGrid;
}

function cellWriter(v: ColumnValues): (r: number) => string {
  if (v instanceof Float64Array) return (r) => csvNumber(v[r] as number);
  if (v instanceof Uint8Array) return (r) => (v[r] === 0 ? '0' : '1');
  if (Array.isArray(v)) return (r) => csvField(v[r] ?? '');
  return (r) => String(v[r]);
}

/** Longest shortest-round-trip text of a double: "-1.2345678901234567e-308" (24), "-Inf", "NaN". */
const MAX_NUMBER_CHARS = 24;

/** Writes an ASCII string's char codes at `at`; returns the new position. */
function putAscii(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

/** The CSV text of `file`, in blocks of whole lines (bytes for all-float64 results, else strings). */
export async function* renderCsv(file: ResultFile, slice: CsvSlice = {}, opts: CsvOptions = {}): AsyncGenerator<string | Buffer> {
  const timeText = timeFormatter(opts.grid);
  const gridTime = gridTimeWriter(opts.grid);
  const cols = slice.columns ?? file.columns.map((_, i) => i);
  const every = Math.max(1, Math.floor(slice.every ?? 1));
  const start = Math.max(0, Math.min(file.rows, slice.startRow ?? 0));
  const end = Math.max(start, Math.min(file.rows, slice.endRow ?? file.rows));
  yield ['time', ...cols.map((i) => file.columns[i]?.name ?? `column${i}`)].map(csvField).join(',') + '\n';
  for (let from = start; from < end; from += BLOCK_ROWS * every) {
    const to = Math.min(end, from + BLOCK_ROWS * every);
    const [time, ...values] = await Promise.all([file.readTime(from, to), ...cols.map((i) => file.readColumn(i, from, to))]);
    const t = time as Float64Array;
    const n = to - from;
    if (values.every((v) => v instanceof Float64Array)) {
      const arrays = values as Float64Array[];
      const nc = arrays.length;
      const out = Buffer.allocUnsafe(Math.ceil(n / every) * (nc + 1) * (MAX_NUMBER_CHARS + 1));
      let at = 0;
      for (let r = 0; r < n; r += every) {
        const tr = t[r] as number;
        const g = gridTime === undefined ? -1 : gridTime(tr, out, at);
        at = g >= 0 ? g : putAscii(timeText(tr), out, at);
        for (let c = 0; c < nc; c++) {
          out[at++] = 44; // ","
          at = putAscii(csvNumber((arrays[c] as Float64Array)[r] as number), out, at);
        }
        out[at++] = 10; // "\n"
      }
      yield out.subarray(0, at);
      continue;
    }
    let text = '';
    const cells = values.map((v) => cellWriter(v as ColumnValues));
    for (let r = 0; r < n; r += every) {
      let line = timeText(t[r] as number);
      for (let c = 0; c < cells.length; c++) line += ',' + (cells[c] as (r: number) => string)(r);
      text += line + '\n';
    }
    yield text;
  }
}
