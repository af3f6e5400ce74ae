/**
 * Files that are served must be whole: every file the gateway keeps (results, CSV renderings,
 * uploads, metadata) is written under a temporary name, checked for size, fsynced, then renamed
 * into place (and its folder fsynced, so the rename survives a crash). A short write is an error,
 * never a served file. A full disk (ENOSPC, EDQUOT) leaves as DISK_FULL (507 + Retry-After): it
 * recovers by itself once space is freed, since nothing partial was kept.
 *
 * Small functions with one job each, so a blob store (S3) can take their place later.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, fstatSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GatewayError } from '../errors.ts';

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

export function isDiskFull(e: unknown): boolean {
  return typeof e === 'object' && e !== null && DISK_FULL_CODES.has(String((e as NodeJS.ErrnoException).code));
}

/** ENOSPC / EDQUOT → DISK_FULL; anything else unchanged. */
export function diskFault(e: unknown, what: string): unknown {
  if (!isDiskFull(e)) return e;
  return new GatewayError('DISK_FULL', `The gateway's disk is full: ${what} was not stored. Retry shortly.`, {
    retry_after_seconds: 30,
    hint: 'This is the gateway operator’s problem, not the request’s: retry after the Retry-After delay.',
  });
}

/** A temporary name beside `path` (same filesystem, so the rename is atomic), hidden from listings. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes all of `bytes` at `position`; a write that makes no progress is an error, not a loop. */
export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength;) {
    const n = writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
    if (n <= 0) throw Object.assign(new Error('short write: the disk accepted no more bytes'), { code: 'ENOSPC' });
    done += n;
  }
}

/** fsyncs a directory so a rename inside it is durable (a no-op where directories cannot be opened). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms refuse fsync on directories; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** fsyncs a written file and checks it holds exactly `expectedBytes`. */
export function syncAndCheck(path: string, expectedBytes: number): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
    const size = fstatSync(fd).size;
    if (size !== expectedBytes)
      throw Object.assign(new Error(`short write: ${path} holds ${size} of ${expectedBytes} bytes`), { code: 'ENOSPC' });
  } finally {
    closeSync(fd);
  }
}

/*
 * The asynchronous forms below do the same work with every fsync on libuv's thread pool: a
 * server saving a run per request must not stop its event loop for each fsync (tens of
 * milliseconds on a busy disk, during which no other request, not even /health, is answered).
 */

/** fsyncs a directory off the event loop (errors ignored, as syncDir). */
async function fsyncDirNow(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

interface DirSync {
  running: Promise<void>;
  /** The sync that starts once `running` ends, shared by everyone who arrived meanwhile. */
  queued: Promise<void> | undefined;
}
const dirSyncs = new Map<string, DirSync>();

/**
 * fsyncs `dir` so that every rename done in it before this call is durable, sharing the work with
 * concurrent callers (group commit): a caller arriving while a sync runs waits for the next one
 * (the running one may have started before its rename), and every caller arriving meanwhile
 * shares that next one. Under load, one directory fsync covers many runs.
 */
export function syncDirShared(dir: string): Promise<void> {
  const current = dirSyncs.get(dir);
  if (current === undefined) return startDirSync(dir);
  current.queued ??= current.running.then(() => startDirSync(dir));
  return current.queued;
}

function startDirSync(dir: string): Promise<void> {
  const entry: DirSync = { running: Promise.resolve(), queued: undefined };
  dirSyncs.set(dir, entry);
  entry.running = fsyncDirNow(dir).finally(() => {
    // Nobody queued behind this one: no sync of the directory is in flight any more.
    if (dirSyncs.get(dir) === entry && entry.queued === undefined) dirSyncs.delete(dir);
  });
  return entry.running;
}

/** syncAndCheck off the event loop: fsyncs `path` and checks it holds exactly `expectedBytes`. */
export async function syncAndCheckAsync(path: string, expectedBytes: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
    const { size } = await handle.stat();
    if (size !== expectedBytes)
      throw Object.assign(new Error(`short write: ${path} holds ${size} of ${expectedBytes} bytes`), { code: 'ENOSPC' });
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` as a NEW file `path` inside a folder nobody reads yet (it becomes visible by the
 * folder's rename): written whole (FileHandle.writeFile loops over partial writes), fsynced and
 * size-checked through the same handle; the folder's own fsync is the caller's.
 */
export async function writeNewFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    const { size } = await handle.stat();
    if (size !== bytes.byteLength)
      throw Object.assign(new Error(`short write: ${path} holds ${size} of ${bytes.byteLength} bytes`), { code: 'ENOSPC' });
  } finally {
    await handle.close();
  }
}

/** The whole of `data` at `path`, or nothing (the previous file, if any, stays). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeFully(fd, bytes, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncAndCheck(tmp, bytes.byteLength);
    renameSync(tmp, path);
    syncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw diskFault(e, basename(path));
  }
}

/**
 * Writes the text chunks of `source` to `path` atomically (a rendering too large for memory):
 * every chunk in full, the total size checked, fsynced, renamed. Returns the size.
 */
export async function writeStreamAtomic(path: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
  const tmp = tempPathFor(path);
  const out = await open(tmp, 'wx', 0o644);
  let total = 0;
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      // FileHandle.write may write less than asked (a nearly full disk): continue, never skip.
      for (let done = 0; done < bytes.byteLength;) {
        const { bytesWritten } = await out.write(bytes, done, bytes.byteLength - done, total + done);
        if (bytesWritten <= 0) throw Object.assign(new Error('short write: the disk accepted no more bytes'), { code: 'ENOSPC' });
        done += bytesWritten;
      }
      total += bytes.byteLength;
    }
    await out.sync();
    const { size } = await out.stat();
    await out.close();
    if (size !== total) throw Object.assign(new Error(`short write: ${tmp} holds ${size} of ${total} bytes`), { code: 'ENOSPC' });
    await rename(tmp, path);
    await syncDirShared(dirname(path));
    return total;
  } catch (e) {
    await out.close().catch(() => undefined);
    rmSync(tmp, { force: true });
    throw diskFault(e, basename(path));
  }
}
