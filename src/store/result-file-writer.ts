/**
 * Writes a recorded result as a columnar file (format: src/schemas/result-file.ts). Each column
 * goes to disk in one write of its typed array's bytes: no per-row work for numbers, so a worker
 * hands a million rows to the gateway in milliseconds. Runs in the worker (runner/simulate-job.ts)
 * and in the run store for results that did not come from a worker.
 */
import { closeSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import type { ResultColumn, SimulationResult } from '../engine/types.ts';
import { RESULT_FILE_MAGIC } from '../schemas/result-file-magic.ts';
import type { ColumnStorage, ResultBlock, ResultFileColumn, ResultFileFooter } from '../schemas/result-file.ts';

type Recorded = Pick<SimulationResult, 'rows' | 'time' | 'columns' | 'eventRows'>;

/** The values of a recorded column as the file stores them. */
function encodeColumn(values: ResultColumn['values'] | ArrayBufferView, rows: number): { storage: ColumnStorage; parts: Uint8Array[] } {
  const bytesOf = (a: ArrayBufferView, width: number): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, rows * width);
  if (values instanceof Float64Array) return { storage: 'float64', parts: [bytesOf(values, 8)] };
  if (values instanceof BigInt64Array) return { storage: 'int64', parts: [bytesOf(values, 8)] };
  if (values instanceof BigUint64Array) return { storage: 'uint64', parts: [bytesOf(values, 8)] };
  if (values instanceof Uint8Array) return { storage: 'bool', parts: [bytesOf(values, 1)] };
  if (Array.isArray(values)) {
    // Strings are the one per-row cost: their utf-8 lengths make the offsets.
    const offsets = new Uint32Array(rows + 1);
    const text = Buffer.from(values.slice(0, rows).join(''), 'utf8');
    let at = 0;
    for (let r = 0; r < rows; r++) {
      at += Buffer.byteLength(values[r] ?? '', 'utf8');
      offsets[r + 1] = at;
    }
    if (text.byteLength > 0xffff_ffff) throw new RangeError('string column larger than 4 GiB');
    return { storage: 'string', parts: [new Uint8Array(offsets.buffer), text] };
  }
  throw new TypeError(`cannot store a column of ${Object.prototype.toString.call(values)}`);
}

/**
 * Writes `result` to `path`: into an existing file the pool created for this job (`existing`,
 * the sandbox may not create files there), else a new one. Returns the file size.
 */
export function writeResultFile(path: string, result: Recorded, opts: { existing?: boolean } = {}): number {
  const fd = openSync(path, opts.existing === true ? 'r+' : 'w', 0o644);
  try {
    // Truncated even when empty (the pool's file is): besides dropping anything left in it, on ext4
    // a file truncated to 0 and rewritten has its blocks allocated and written back when closed
    // (auto_da_alloc), so the data is on its way to disk while the result travels to the gateway,
    // and the save's flush has less to wait for.
    if (opts.existing === true) ftruncateSync(fd, 0);
    // The parts are laid out first, then written together (one writev for a small result, where
    // a write per part cost a syscall each): no copy, a column's bytes are written from its array.
    const pending: Uint8Array[] = [];
    let at = 0;
    const put = (bytes: Uint8Array): void => {
      pending.push(bytes);
      at += bytes.byteLength;
    };
    const block = (parts: Uint8Array[]): ResultBlock => {
      const pad = (8 - (at % 8)) % 8;
      if (pad > 0) put(new Uint8Array(pad));
      const offset = at;
      for (const p of parts) put(p);
      return { offset, bytes: at - offset };
    };
    put(Buffer.from(RESULT_FILE_MAGIC, 'latin1'));
    const rows = result.rows;
    const time = block(encodeColumn(result.time, rows).parts);
    const columns: ResultFileColumn[] = result.columns.map((c) => {
      // Int64 / UInt64 columns may carry their exact values beside the nearest doubles: store those.
      const { storage, parts } = encodeColumn(c.exact ?? c.values, rows);
      const col: ResultFileColumn = { name: c.name, fmi_type: c.type, storage, block: block(parts) };
      if (c.unit !== undefined) col.unit = c.unit;
      return col;
    });
    const footer: ResultFileFooter = { format: 'fmu-gateway-columns', version: 1, rows, time, columns };
    if (result.eventRows !== undefined) footer.event_rows = block(encodeColumn(result.eventRows, rows).parts);
    const json = Buffer.from(JSON.stringify(footer), 'utf8');
    put(json);
    const tail = Buffer.alloc(16);
    tail.writeUInt32LE(json.byteLength, 0);
    tail.write(RESULT_FILE_MAGIC, 8, 'latin1');
    put(tail);
    writeAllParts(fd, pending);
    return at;
  } finally {
    closeSync(fd);
  }
}

/** At most this many buffers per writev (Linux IOV_MAX is 1024). */
const MAX_IOV = 1024;

/** Writes `parts` one after the other from offset 0; a short writev goes on where it stopped, no write is an error. */
function writeAllParts(fd: number, parts: Uint8Array[]): void {
  let position = 0;
  let i = 0;
  let skip = 0; // bytes of parts[i] already written
  while (i < parts.length) {
    const batch: Uint8Array[] = [];
    let batchBytes = 0;
    for (let j = i; j < parts.length && batch.length < MAX_IOV; j++) {
      const p = j === i ? (parts[j] as Uint8Array).subarray(skip) : (parts[j] as Uint8Array);
      if (p.byteLength === 0) continue;
      batch.push(p);
      batchBytes += p.byteLength;
    }
    if (batch.length === 0) return;
    const n = writevSync(fd, batch, position);
    if (n <= 0) throw Object.assign(new Error('short write: the disk accepted no more bytes'), { code: 'ENOSPC' });
    position += n;
    if (n === batchBytes && batch.length === parts.length - i) return;
    // Advance over the parts written in full, then into the one written in part.
    let left = n + skip;
    while (i < parts.length && left >= (parts[i] as Uint8Array).byteLength) left -= (parts[i++] as Uint8Array).byteLength;
    skip = left;
  }
}
