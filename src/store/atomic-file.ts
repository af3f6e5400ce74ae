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
import { closeSync, fdatasync, fsync, fsyncSync, openSync, renameSync, rmSync, fstatSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

/**
 * fsync off the event loop (libuv's thread pool): several issued together are flushed by one
 * journal commit on ext4/xfs, so a caller that needs N objects durable waits about one flush.
 */
export async function fsyncPath(path: string, opts: { expectedBytes?: number } = {}): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
    if (opts.expectedBytes !== undefined) {
      const { size } = await fh.stat();
      if (size !== opts.expectedBytes)
        throw Object.assign(new Error(`short write: ${path} holds ${size} of ${opts.expectedBytes} bytes`), { code: 'ENOSPC' });
    }
  } finally {
    await fh.close();
  }
}

/** syncDir off the event loop; a platform that cannot fsync a directory is not an error (as syncDir). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    // Only what says "not supported here" is tolerated: a failing disk (EIO) must fail the write.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EACCES') throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * fsync (or fdatasync) of a descriptor this process already holds, on libuv's thread pool: one
 * pool round trip and no FileHandle, so a save that needs several objects durable costs the event
 * loop a few microseconds per object (the promise API's open → sync → stat → close was four pool
 * round trips each, about 0.3 ms of main-thread time per object under load).
 */
export function syncFd(fd: number, dataOnly = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e: NodeJS.ErrnoException | null): void => (e ? reject(e) : resolve());
    if (dataOnly) fdatasync(fd, done);
    else fsync(fd, done);
  });
}

/** A directory's descriptor for syncFd, or undefined where directories cannot be opened (as syncDir). */
export function openDirForSync(dir: string): number | undefined {
  try {
    return openSync(dir, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES' || code === 'ENOTSUP') return undefined;
    throw e;
  }
}

/** syncFd of a directory: a platform that cannot fsync a directory is not an error (as fsyncDir). */
export async function syncDirFd(fd: number | undefined): Promise<void> {
  if (fd === undefined) return;
  try {
    await syncFd(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EPERM' && code !== 'EACCES') throw e;
  }
}

/**
 * fsyncs of one directory shared by concurrent writers (group commit): a caller waits for a
 * flush that STARTED after its call (so it covers the caller's renames); callers arriving while
 * one is in flight share the next one. Sequential callers each pay one flush, as before.
 */
export function createDirSyncer(dir: string): { sync(): Promise<void> } {
  let inFlight: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    // Opened per flush (not kept): a directory removed and recreated under us is the new one.
    const fd = openDirForSync(dir);
    try {
      await syncDirFd(fd);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  const run = (): Promise<void> => {
    const p = flush().finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };
  return {
    sync(): Promise<void> {
      if (inFlight === undefined) return run();
      if (next === undefined) {
        const after = inFlight;
        next = after
          .catch(() => undefined)
          .then(() => {
            next = undefined;
            return run();
          });
      }
      return next;
    },
  };
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
    await out.close();
    syncAndCheck(tmp, total);
    renameSync(tmp, path);
    syncDir(dirname(path));
    return total;
  } catch (e) {
    await out.close().catch(() => undefined);
    rmSync(tmp, { force: true });
    throw diskFault(e, basename(path));
  }
}
