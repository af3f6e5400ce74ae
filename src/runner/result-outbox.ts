/**
 * Where workers write their results: each worker has an outbox directory, bound writable at
 * /results inside its sandbox. Before a simulation the pool creates that job's result file
 * (empty, owned by the worker's uid); the directory itself belongs to the gateway, so a
 * sandboxed worker running as its own uid can write that one file but create nothing else on
 * the host. When a result is announced the pool moves the file out of the outbox, into
 * <root>/done/, from where the run store adopts it by rename (same filesystem: no copy).
 * Outboxes live under the results directory, so the rename never crosses filesystems.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  fchownSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOrphanedRoots, traversableByOthers } from './staging.ts';

/** Where the worker's outbox appears inside the sandbox. */
export const SANDBOX_RESULTS_DIR = '/results';

export interface OutboxRoot {
  readonly root: string;
  /** Finished results waiting to be adopted by the run store (or deleted). */
  readonly done: string;
}

/** <resultDir>/.incoming/pool-<pid>-XXXXXX when the sandbox user can reach it, else under the OS temp dir. */
export function createOutboxRoot(resultDir: string): OutboxRoot {
  const incoming = join(resultDir, '.incoming');
  mkdirSync(incoming, { recursive: true, mode: 0o755 });
  chmodSync(incoming, 0o755);
  let root: string;
  if (traversableByOthers(incoming)) {
    removeOrphanedRoots(incoming, 'pool-');
    root = mkdtempSync(join(incoming, `pool-${process.pid}-`));
  } else {
    removeOrphanedRoots(tmpdir(), 'fmu-gateway-results-');
    root = mkdtempSync(join(tmpdir(), `fmu-gateway-results-${process.pid}-`));
  }
  chmodSync(root, 0o755);
  const done = join(root, 'done');
  mkdirSync(done, { mode: 0o700 });
  return { root, done };
}

/** Recreates the root and its done/ after something removed them (same paths, same modes). */
export function ensureOutboxRoot(root: OutboxRoot): void {
  mkdirSync(root.root, { recursive: true, mode: 0o755 });
  chmodSync(root.root, 0o755);
  mkdirSync(root.done, { recursive: true, mode: 0o700 });
}

export function createWorkerOutbox(root: OutboxRoot, name: string): string {
  const dir = join(root.root, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

export const jobFileName = (jobId: number): string => `job-${jobId}.cols`;

/**
 * The worker's FMU log, one per worker in its outbox: the worker appends each line the moment the
 * FMU logs it (so the lines survive a crash, as frames did), and the gateway reads it only when a
 * job fails (the result carries a successful run's log): no frame, no wake-up of the gateway's
 * event loop per line. Created by the gateway (so it owns the directory entry: the worker cannot
 * replace it) and read through the descriptor it keeps, emptied at every job's start.
 */
export const LOG_FILE_NAME = 'fmu.log';

export interface WorkerLogFile {
  /** The gateway's descriptor (read + truncate). */
  fd: number;
  /** The path on the host. */
  path: string;
}

export function createLogFile(outbox: string, uid: number | undefined): WorkerLogFile {
  const path = join(outbox, LOG_FILE_NAME);
  const fd = openSync(path, 'wx+', 0o600);
  try {
    if (uid !== undefined) fchownSync(fd, uid, uid);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return { fd, path };
}

/**
 * The log's last lines, at most `maxBytes` of them, from `from` (bytes already taken) on; the
 * first line is dropped when the window starts inside it. Returns the lines and the new offset.
 */
export function readLogTail(log: WorkerLogFile, from: number, maxBytes: number): { lines: string[]; end: number } {
  const size = fstatSync(log.fd).size;
  if (size <= from) return { lines: [], end: from };
  const start = Math.max(from, size - maxBytes);
  const buf = Buffer.allocUnsafe(size - start);
  const n = readSync(log.fd, buf, 0, buf.length, start);
  const lines = buf.subarray(0, n).toString('utf8').split('\n');
  if (start > from) lines.shift(); // cut inside a line
  return { lines: lines.filter((l) => l !== ''), end: start + n };
}

/**
 * Creates the empty result file of a job. `uid`: the host uid the sandboxed worker runs as
 * (when the gateway is root), who must own the file to write it.
 */
export function prepareJobFile(outbox: string, jobId: number, uid: number | undefined): string {
  const path = join(outbox, jobFileName(jobId));
  const fd = openSync(path, 'wx', 0o600);
  try {
    if (uid !== undefined) fchownSync(fd, uid, uid);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Moves a job's file out of the worker's reach (its outbox) into done/; returns the new path. */
export function collectJobFile(root: OutboxRoot, outbox: string, jobId: number, uid: number | undefined): string {
  const target = join(root.done, `${process.pid}-${jobId}.cols`);
  try {
    renameSync(join(outbox, jobFileName(jobId)), target);
  } catch (e) {
    // done/ was removed under us (the outbox itself still holds the file): recreate it, once.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(root.done)) throw e;
    ensureOutboxRoot(root);
    renameSync(join(outbox, jobFileName(jobId)), target);
  }
  // Ours again: a later worker with a recycled uid must not be able to open it.
  if (uid !== undefined) chownSync(target, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  chmodSync(target, 0o644);
  return target;
}

/** Empties an outbox between jobs: whatever else a hostile FMU managed to leave there goes. */
export function clearOutbox(outbox: string): void {
  let names: string[];
  try {
    names = readdirSync(outbox);
  } catch {
    return;
  }
  for (const n of names) if (n !== LOG_FILE_NAME) rmSync(join(outbox, n), { recursive: true, force: true });
}

export function removeOutbox(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
