/**
 * Reads a columnar result file (src/schemas/result-file.ts) lazily: the footer is read and
 * checked once, then any column's rows [start, end) come straight from disk into a fresh typed
 * array (one read, no per-row work, asynchronous: the event loop stays free). The file was
 * written by a worker that ran FMU code, so every offset is checked against the file before use
 * and a short read (a file changed under us) is an error, never garbage.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { GatewayError } from '../errors.ts';
import {
  RESULT_FILE_HEAD_BYTES,
  RESULT_FILE_MAGIC,
  RESULT_FILE_MAX_FOOTER_BYTES,
  RESULT_FILE_TAIL_BYTES,
  ResultFileFooterSchema,
  STORAGE_WIDTH,
  type ResultBlock,
  type ResultFileColumn,
  type ResultFileFooter,
} from '../schemas/result-file.ts';

/** The values of rows of one column, typed by its storage. */
export type ColumnValues = Float64Array | BigInt64Array | BigUint64Array | Uint8Array | string[];

const corrupt = (path: string, why: string): GatewayError =>
  new GatewayError('RESULT_CORRUPT', `The result file is damaged or not a result file: ${why}.`, {
    file: path.split('/').slice(-2).join('/'),
  });

export interface ResultFile {
  readonly footer: ResultFileFooter;
  readonly rows: number;
  readonly columns: readonly ResultFileColumn[];
  /** Size of the file in bytes. */
  readonly bytes: number;
  readTime(start?: number, end?: number): Promise<Float64Array>;
  readColumn(index: number, start?: number, end?: number): Promise<ColumnValues>;
  readEventRows(start?: number, end?: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

async function readExactly(fh: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const { bytesRead } = await fh.read(target, done, target.byteLength - done, position + done);
    if (bytesRead === 0) throw corrupt(path, 'the file ended early');
    done += bytesRead;
  }
}

function checkBlock(path: string, what: string, b: ResultBlock, dataEnd: number, expected?: number): void {
  if (b.offset < RESULT_FILE_HEAD_BYTES || b.offset % 8 !== 0 || b.offset + b.bytes > dataEnd)
    throw corrupt(path, `${what} lies outside the data area`);
  if (expected !== undefined && b.bytes !== expected) throw corrupt(path, `${what} has ${b.bytes} bytes, expected ${expected}`);
}

function checkFooter(path: string, f: ResultFileFooter, dataEnd: number): void {
  checkBlock(path, 'the time column', f.time, dataEnd, f.rows * 8);
  if (f.event_rows !== undefined) checkBlock(path, 'the event-row column', f.event_rows, dataEnd, f.rows);
  f.columns.forEach((c, i) => {
    const what = `column ${i} (${JSON.stringify(c.name.slice(0, 80))})`;
    if (c.storage === 'string') {
      checkBlock(path, what, c.block, dataEnd);
      if (c.block.bytes < (f.rows + 1) * 4) throw corrupt(path, `${what} is too short for its offsets`);
    } else checkBlock(path, what, c.block, dataEnd, f.rows * STORAGE_WIDTH[c.storage]);
  });
}

function clampRange(rows: number, start = 0, end = rows): [number, number] {
  const s = Math.max(0, Math.min(rows, Math.floor(start)));
  return [s, Math.max(s, Math.min(rows, Math.floor(end)))];
}

export async function openResultFile(path: string): Promise<ResultFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new GatewayError('NOT_FOUND', `The result file is missing (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  try {
    const size = (await fh.stat()).size;
    const footer = await readFooter(path, size, (target, position) => readExactly(fh, target, position, path));
    return createReader(fh, path, size, footer);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads and checks the head, tail and footer of a file of `size` bytes through `read`. */
async function readFooter(
  path: string,
  size: number,
  read: (target: Uint8Array, position: number) => Promise<void> | void,
): Promise<ResultFileFooter> {
  if (size < RESULT_FILE_HEAD_BYTES + RESULT_FILE_TAIL_BYTES) throw corrupt(path, 'too small');
  const head = Buffer.alloc(RESULT_FILE_HEAD_BYTES);
  await read(head, 0);
  const tail = Buffer.alloc(RESULT_FILE_TAIL_BYTES);
  await read(tail, size - RESULT_FILE_TAIL_BYTES);
  if (head.toString('latin1') !== RESULT_FILE_MAGIC || tail.toString('latin1', 8) !== RESULT_FILE_MAGIC) throw corrupt(path, 'no magic');
  const footerBytes = tail.readUInt32LE(0);
  const dataEnd = size - RESULT_FILE_TAIL_BYTES - footerBytes;
  if (footerBytes > RESULT_FILE_MAX_FOOTER_BYTES || dataEnd < RESULT_FILE_HEAD_BYTES) throw corrupt(path, 'bad footer length');
  const raw = Buffer.alloc(footerBytes);
  await read(raw, dataEnd);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw corrupt(path, 'the footer is not JSON');
  }
  const parsed = ResultFileFooterSchema.safeParse(json);
  if (!parsed.success) throw corrupt(path, `the footer does not match the format (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  checkFooter(path, parsed.data, dataEnd);
  return parsed.data;
}

/**
 * The checked footer and size of a result file, read with blocking calls: for a file just
 * written (in the page cache) three small reads cost microseconds, less than the thread-pool
 * round trips of openResultFile. Used where only the footer is needed (the pool's check of a
 * worker's file); column reads stay asynchronous.
 */
/** Files up to this size are read whole by readResultFooter (one read instead of three). */
const WHOLE_READ_BYTES = 64 * 1024;

export async function readResultFooter(path: string): Promise<{ bytes: number; footer: ResultFileFooter }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new GatewayError('NOT_FOUND', `The result file is missing (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  try {
    const bytes = fstatSync(fd).size;
    const readAt = (target: Uint8Array, position: number): void => {
      for (let done = 0; done < target.byteLength;) {
        const n = readSync(fd, target, done, target.byteLength - done, position + done);
        if (n === 0) throw corrupt(path, 'the file ended early');
        done += n;
      }
    };
    // A small file (a warm run's) is read whole, once: head, tail and footer come from that copy.
    let whole: Buffer | undefined;
    if (bytes <= WHOLE_READ_BYTES) {
      whole = Buffer.allocUnsafe(bytes);
      readAt(whole, 0);
    }
    const footer = await readFooter(
      path,
      bytes,
      whole === undefined
        ? readAt
        : (target, position) => {
            if (position + target.byteLength > whole.byteLength) throw corrupt(path, 'the file ended early');
            target.set(whole.subarray(position, position + target.byteLength));
          },
    );
    return { bytes, footer };
  } finally {
    closeSync(fd);
  }
}

function createReader(fh: FileHandle, path: string, size: number, footer: ResultFileFooter): ResultFile {
  const rows = footer.rows;
  const fixed = async <T extends ArrayBufferView>(block: ResultBlock, width: number, make: (n: number) => T, s: number, e: number) => {
    const out = make(e - s);
    await readExactly(fh, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), block.offset + s * width, path);
    return out;
  };
  const strings = async (c: ResultFileColumn, s: number, e: number): Promise<string[]> => {
    const offsets = await fixed(c.block, 4, (n) => new Uint32Array(n), s, e + 1);
    const textStart = c.block.offset + (rows + 1) * 4;
    const textBytes = c.block.bytes - (rows + 1) * 4;
    const first = offsets[0] as number;
    const last = offsets[offsets.length - 1] as number;
    if (first > last || last > textBytes) throw corrupt(path, `the string offsets of "${c.name}" are out of range`);
    const text = Buffer.alloc(last - first);
    await readExactly(fh, text, textStart + first, path);
    const out: string[] = new Array<string>(e - s);
    for (let i = 0; i < e - s; i++) {
      const a = (offsets[i] as number) - first;
      const b = (offsets[i + 1] as number) - first;
      if (b < a) throw corrupt(path, `the string offsets of "${c.name}" are not increasing`);
      out[i] = text.toString('utf8', a, b);
    }
    return out;
  };
  return {
    footer,
    rows,
    columns: footer.columns,
    bytes: size,
    readTime(start, end) {
      const [s, e] = clampRange(rows, start, end);
      return fixed(footer.time, 8, (n) => new Float64Array(n), s, e);
    },
    async readColumn(index, start, end) {
      const c = footer.columns[index];
      if (c === undefined) throw new GatewayError('BAD_REQUEST', `The result has no column ${index}.`);
      const [s, e] = clampRange(rows, start, end);
      switch (c.storage) {
        case 'float64':
          return fixed(c.block, 8, (n) => new Float64Array(n), s, e);
        case 'int64':
          return fixed(c.block, 8, (n) => new BigInt64Array(n), s, e);
        case 'uint64':
          return fixed(c.block, 8, (n) => new BigUint64Array(n), s, e);
        case 'bool':
          return fixed(c.block, 1, (n) => new Uint8Array(n), s, e);
        case 'string':
          return strings(c, s, e);
      }
    },
    async readEventRows(start, end) {
      if (footer.event_rows === undefined) return undefined;
      const [s, e] = clampRange(rows, start, end);
      return fixed(footer.event_rows, 1, (n) => new Uint8Array(n), s, e);
    },
    close: () => fh.close(),
  };
}
