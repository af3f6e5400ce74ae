/**
 * The parent's side of a worker's result file: open and check it (src/store/result-file-reader.ts),
 * then read every column into the typed arrays the engine's result shape holds. One read per
 * column, asynchronous, no per-row work for numbers.
 */
import { GatewayError } from '../errors.ts';
import type { ResultColumn, SimulationResult } from '../engine/types.ts';
import { openResultFile, readResultFooter, type ColumnValues } from '../store/result-file-reader.ts';

/** Exact 64-bit and boolean columns as the engine's numbers (the nearest double, 0/1); the exact ones are kept beside. */
function asEngineValues(v: ColumnValues): Float64Array | string[] {
  if (v instanceof Float64Array || Array.isArray(v)) return v;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

export async function loadResultFile(
  path: string,
  expectedBytes: number,
  expectedRows: number,
  opts: { values: boolean },
): Promise<Pick<SimulationResult, 'time' | 'columns' | 'eventRows'>> {
  const mismatch = (bytes: number, rows: number): GatewayError | undefined =>
    bytes === expectedBytes && rows === expectedRows
      ? undefined
      : new GatewayError(
          'RESULT_CORRUPT',
          `The result file has ${bytes} bytes and ${rows} rows; the worker reported ${expectedBytes} and ${expectedRows}.`,
        );
  if (!opts.values) {
    // Checked and indexed only: the rows stay in the file (RunOptions.rowsInFile). The footer
    // alone is read, with blocking reads of a file still in the page cache (cheaper than the
    // thread pool's round trips).
    const { bytes, footer } = await readResultFooter(path);
    const bad = mismatch(bytes, footer.rows);
    if (bad !== undefined) throw bad;
    const columns = footer.columns.map((c): ResultColumn => {
      const col: ResultColumn = { name: c.name, type: c.fmi_type, values: c.storage === 'string' ? [] : new Float64Array(0) };
      if (c.unit !== undefined) col.unit = c.unit;
      return col;
    });
    return { time: new Float64Array(0), columns };
  }
  const file = await openResultFile(path);
  try {
    const bad = mismatch(file.bytes, file.rows);
    if (bad !== undefined) throw bad;
    const [time, eventRows, ...values] = await Promise.all([
      file.readTime(),
      file.readEventRows(),
      ...file.columns.map((_, i) => file.readColumn(i)),
    ]);
    const columns: ResultColumn[] = file.columns.map((c, i) => {
      const v = values[i] as ColumnValues;
      const col: ResultColumn = { name: c.name, type: c.fmi_type, values: asEngineValues(v) };
      if (v instanceof BigInt64Array || v instanceof BigUint64Array) col.exact = v;
      if (c.unit !== undefined) col.unit = c.unit;
      return col;
    });
    const out: Pick<SimulationResult, 'time' | 'columns' | 'eventRows'> = { time: time as Float64Array, columns };
    if (eventRows !== undefined) out.eventRows = eventRows as Uint8Array;
    return out;
  } finally {
    await file.close();
  }
}
