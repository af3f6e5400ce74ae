/**
 * Full simulation results as files: <dataDir>/runs/<run_id>/result.cols (columnar, binary:
 * src/schemas/result-file.ts) and meta.json. The columnar file is the one the worker wrote,
 * adopted by rename; CSV (and Arrow) are rendered from it on demand, streamed. meta.json is
 * renamed into the run's folder last, so a run id that resolves always has both files. Runs stored before the columnar format (result.csv only) are still served.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  openSync,
  existsSync,
  fstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GatewayError } from '../errors.ts';
import type { SimulationResult } from '../engine/types.ts';
import { exportInfoOf, gridOf, type ExportInfo } from './result-columns.ts';
import { renderCsv, type CsvSlice } from './result-csv.ts';
import { openResultFile, type ResultFile } from './result-file-reader.ts';
import { writeResultFile } from './result-file-writer.ts';
import { createDirSyncer, diskFault, openDirForSync, syncDirFd, syncFd, writeFully, writeStreamAtomic } from './atomic-file.ts';

export type { CsvSlice } from './result-csv.ts';
export type { ColumnValues, ResultFile } from './result-file-reader.ts';

/** Time-sortable, unguessable, and safe in a path and a URI. */
const RUN_ID = /^r[0-9a-z]{8,12}-[0-9a-f]{12}$/;

export function newRunId(now = Date.now()): string {
  return `r${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function isRunId(s: string): boolean {
  return RUN_ID.test(s);
}

export const RESULT_FILE = 'result.cols';
/** CSV of a run, kept once rendered in full (byte ranges need a file), and the only file of older runs. */
const CSV_FILE = 'result.csv';

export interface RunResultStore {
  readonly dir: string;
  /**
   * Stores a new run: adopts result.resultFile (the worker's columnar file) by rename, else
   * writes one from the columns in memory; then meta.json. Resolves with the columnar file's
   * size once both files and the run's folder are durable (fsynced).
   */
  save(
    runId: string,
    result: Pick<SimulationResult, 'rows' | 'time' | 'columns' | 'eventRows' | 'resultFile'>,
    meta: Record<string, unknown>,
  ): Promise<number>;
  /** NOT_FOUND when the run does not exist (or the id is malformed). */
  readMeta(runId: string): Record<string, unknown>;
  /** The columnar result, for reading columns and row ranges lazily; close it after use. NOT_FOUND as readMeta. */
  open(runId: string): Promise<ResultFile>;
  /** The CSV of a run (or a slice of it), rendered while it is read. */
  csvStream(runId: string, slice?: CsvSlice): Promise<Readable>;
  /**
   * The full CSV as a file (rendered once and kept): for byte-range requests and copies.
   * Streaming readers should prefer csvStream, which starts at once.
   */
  csvFile(runId: string): Promise<{ path: string; bytes: number }>;
  /** The run (or rows / columns of it) as Arrow IPC, file format, rendered while it is read. */
  arrowStream(runId: string, slice?: Omit<CsvSlice, 'every'>): Promise<Readable>;
  /** The run as MATLAB v4 in the Modelica "dsres" layout (result-mat.ts), rendered while it is read. */
  matStream(runId: string): Promise<Readable>;
  /** The run (or rows / columns of it) as Parquet (result-parquet.ts); OPTIONAL_DEPENDENCY_MISSING without parquet-wasm. */
  parquetBytes(runId: string, slice?: Omit<CsvSlice, 'every'>): Promise<Uint8Array>;
  /** Deletes a run's stored result (retention); false when there was none. */
  remove(runId: string): boolean;
  /** Every stored run with the time its result was written (retention). */
  list(): { runId: string; mtimeMs: number }[];
  /**
   * Shared storage (src/blobs/shared-stores.ts): copies a saved run to the blob store every node
   * reads; awaited before the run is acknowledged. Absent: this node's directory is the store.
   */
  publish?(runId: string): Promise<void>;
  /** Shared storage: brings a run another node stored into this node's directory (no-op when here or unknown). */
  fetch?(runId: string): Promise<void>;
}

export function createRunResultStore(dataDir: string): RunResultStore {
  const dir = join(dataDir, 'runs');
  const runsDir = createDirSyncer(dir);
  const notFound = (runId: string) =>
    new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, {
      run_id: runId,
      hint: 'Use the run_id (or result_uri) returned by simulate; results of other gateways are not here.',
    });
  const folder = (runId: string): string => {
    // Validating the id first means no caller-provided string ever reaches the file system.
    if (!isRunId(runId)) throw notFound(runId);
    return join(dir, runId);
  };
  const existing = (runId: string): string => {
    const f = folder(runId);
    if (!existsSync(join(f, 'meta.json'))) throw notFound(runId);
    return f;
  };
  const legacyCsv = (f: string): string | undefined => {
    const p = join(f, CSV_FILE);
    return !existsSync(join(f, RESULT_FILE)) && existsSync(p) ? p : undefined;
  };
  const openRun = async (runId: string): Promise<ResultFile> => {
    const f = existing(runId);
    try {
      return await openResultFile(join(f, RESULT_FILE));
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'NOT_FOUND') throw notFound(runId);
      throw e;
    }
  };
  const exportInfo = (runId: string): ExportInfo => {
    try {
      return exportInfoOf(JSON.parse(readFileSync(join(existing(runId), 'meta.json'), 'utf8')) as Record<string, unknown>);
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw notFound(runId);
    }
  };
  const columnarOnly = (runId: string, what: string): void => {
    if (legacyCsv(existing(runId)) !== undefined)
      throw new GatewayError('BAD_REQUEST', `This run was stored before results were columnar: only its CSV can be read, not ${what}.`);
  };
  return {
    dir,
    async save(runId, result, meta) {
      const final = folder(runId);
      let made = false;
      // Descriptors held until every flush below has settled (closed in the finally).
      const fds: number[] = [];
      const hold = (fd: number | undefined): number | undefined => {
        if (fd !== undefined) fds.push(fd);
        return fd;
      };
      try {
        // A fresh, unguessable id: EEXIST would be a collision, never overwritten. The results
        // directory is recreated when removed under us (an operator cleaning up, a tmp reaper).
        try {
          mkdirSync(final);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          mkdirSync(dir, { recursive: true });
          mkdirSync(final);
        }
        made = true;
        const target = join(final, RESULT_FILE);
        if (result.resultFile !== undefined) {
          // The rows are only in that file (the result's arrays are empty): move it, or copy it
          // when the pool's outbox is on another filesystem.
          try {
            renameSync(result.resultFile, target);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
            copyFileSync(result.resultFile, target);
            rmSync(result.resultFile, { force: true });
          }
        } else {
          writeResultFile(target, result);
        }
        const resultFd = hold(openSync(target, 'r')) as number;
        const bytes = fstatSync(resultFd).size;
        // meta.json is the run's commit mark (readers find a run by it): renamed into place
        // whole, after the rows, so a reader never sees a run without its result.
        const metaPath = join(final, 'meta.json');
        const metaTmp = join(final, '.meta.json.tmp');
        const metaBytes = Buffer.from(JSON.stringify({ run_id: runId, ...meta, result_bytes: bytes }, null, 2), 'utf8');
        const metaFd = hold(openSync(metaTmp, 'wx', 0o644)) as number;
        writeFully(metaFd, metaBytes, 0);
        renameSync(metaTmp, metaPath);
        const folderFd = hold(openDirForSync(final));
        // Durable before the run is acknowledged: one flush per object, all issued together on
        // the thread pool from descriptors already open (the journal commits them at once): the
        // rows and the metadata (fdatasync: their data and size, which is all a reader needs),
        // the run folder's entries, and the results directory's entry (that fsync shared with
        // concurrent saves). A crash before the answer can leave an unanswered run whose rows
        // are not on disk: every read checks the file's footer, so it is refused
        // (RESULT_CORRUPT), never served.
        // allSettled: no descriptor is closed while a flush still uses it.
        const flushed = await Promise.allSettled([syncFd(resultFd, true), syncFd(metaFd, true), syncDirFd(folderFd), runsDir.sync()]);
        for (const f of flushed) if (f.status === 'rejected') throw f.reason;
        // A short write never passes as a stored result (the metadata was written in full or threw).
        const metaSize = fstatSync(metaFd).size;
        if (metaSize !== metaBytes.byteLength)
          throw Object.assign(new Error(`short write: ${metaPath} holds ${metaSize} of ${metaBytes.byteLength} bytes`), { code: 'ENOSPC' });
        return bytes;
      } catch (e) {
        if (made) rmSync(final, { recursive: true, force: true });
        throw diskFault(e, `the result of run ${runId}`);
      } finally {
        for (const fd of fds) closeSync(fd);
      }
    },
    readMeta(runId) {
      try {
        return JSON.parse(readFileSync(join(folder(runId), 'meta.json'), 'utf8')) as Record<string, unknown>;
      } catch (e) {
        if (e instanceof GatewayError) throw e;
        // Only an absent file is "not found"; a failing disk (EIO, EMFILE…) is not the caller's.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) throw notFound(runId);
        throw e;
      }
    },
    remove(runId) {
      if (!isRunId(runId)) return false;
      const path = join(dir, runId);
      if (!existsSync(path)) return false;
      rmSync(path, { recursive: true, force: true });
      return true;
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      const out: { runId: string; mtimeMs: number }[] = [];
      for (const name of names) {
        if (!isRunId(name)) continue;
        try {
          out.push({ runId: name, mtimeMs: statSync(join(dir, name)).mtimeMs });
        } catch {
          // Removed meanwhile.
        }
      }
      return out;
    },
    open: openRun,
    async csvStream(runId, slice) {
      const legacy = legacyCsv(existing(runId));
      if (legacy !== undefined) {
        if (slice !== undefined && Object.keys(slice).length > 0)
          throw new GatewayError('BAD_REQUEST', 'This run was stored before results were columnar: only its full CSV can be read.');
        return createReadStream(legacy);
      }
      const grid = gridOf(exportInfo(runId));
      const file = await openRun(runId);
      const stream = Readable.from(renderCsv(file, slice, grid ? { grid } : {}), { objectMode: false });
      stream.once('close', () => void file.close());
      return stream;
    },
    async arrowStream(runId, slice) {
      columnarOnly(runId, 'Arrow');
      const info = exportInfo(runId);
      // Loaded on first use: apache-arrow is large and only this export needs it (CLI start-up).
      const { renderArrow } = await import('./result-arrow.ts');
      const file = await openRun(runId);
      const stream = renderArrow(file, slice, info);
      stream.once('close', () => void file.close());
      return stream;
    },
    async matStream(runId) {
      columnarOnly(runId, 'MAT');
      const info = exportInfo(runId);
      const { renderMat } = await import('./result-mat.ts');
      const file = await openRun(runId);
      const stream = renderMat(file, info);
      stream.once('close', () => void file.close());
      return stream;
    },
    async parquetBytes(runId, slice) {
      columnarOnly(runId, 'Parquet');
      const info = exportInfo(runId);
      const { renderParquet } = await import('./result-parquet.ts');
      const file = await openRun(runId);
      try {
        return await renderParquet(file, slice, info);
      } finally {
        await file.close();
      }
    },
    async csvFile(runId) {
      const f = existing(runId);
      const path = join(f, CSV_FILE);
      if (existsSync(path)) return { path, bytes: statSync(path).size };
      const grid = gridOf(exportInfo(runId));
      const file = await openRun(runId);
      try {
        // Whole or not at all: a rendering cut short by a full disk is never kept (nor served later).
        const bytes = await writeStreamAtomic(path, renderCsv(file, {}, grid ? { grid } : {}));
        return { path, bytes };
      } finally {
        await file.close();
      }
    },
  };
}
