/**
 * The FMU and run stores of a node, backed by the shared blob store: this node's directories
 * stay the working copies (the pool, the renderers and Range reads work on local files as with
 * one machine), and the blob store is what every node agrees on. Writes are published before they
 * are acknowledged; reads fetch what another node stored on first use. Each node keeps its own
 * directories: nothing here deletes another node's files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FmuFileStore } from '../store/fmu-file-store.ts';
import { isRunId, RESULT_FILE, type RunResultStore } from '../store/run-result-store.ts';
import { blobKeys } from './keys.ts';
import type { BlobStore } from './types.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One fetch per id at a time: concurrent readers of a run share the download. */
function singleFlight<T>(): (id: string, work: () => Promise<T>) => Promise<T> {
  const inflight = new Map<string, Promise<T>>();
  return (id, work) => {
    const running = inflight.get(id);
    if (running !== undefined) return running;
    const p = work().finally(() => inflight.delete(id));
    inflight.set(id, p);
    return p;
  };
}

export function withSharedFmuStore(inner: FmuFileStore, blobs: BlobStore): FmuFileStore {
  const once = singleFlight<string | undefined>();
  return {
    ...inner,
    put: (bytes, options) => inner.put(bytes, options),
    adopt: (tmp, sha) => inner.adopt(tmp, sha),
    async publish(sha256) {
      const path = inner.pathOf(sha256);
      if (path === undefined) return;
      const options = inner.compileOptionsOf(sha256);
      // The options first: a node that finds the FMU finds how to build it.
      if (options !== undefined) await blobs.putBytes(blobKeys.fmuCompileOptions(sha256), JSON.stringify(options));
      if ((await blobs.size(blobKeys.fmu(sha256))) === undefined) await blobs.putFile(blobKeys.fmu(sha256), path);
    },
    fetch(sha256) {
      if (!SHA256_HEX.test(sha256)) return Promise.resolve(undefined);
      return once(sha256, async () => {
        const here = inner.pathOf(sha256);
        if (here !== undefined) return here;
        const tmp = inner.tempPath();
        try {
          if (!(await blobs.getToFile(blobKeys.fmu(sha256), tmp))) return undefined;
          const optsTmp = `${tmp}.compile.json`;
          if (await blobs.getToFile(blobKeys.fmuCompileOptions(sha256), optsTmp)) {
            await rename(optsTmp, join(inner.dir, `${sha256}.compile.json`));
          }
          return inner.adopt(tmp, sha256).path;
        } finally {
          await rm(tmp, { force: true });
        }
      });
    },
  };
}

export function withSharedRunStore(inner: RunResultStore, blobs: BlobStore): RunResultStore {
  const once = singleFlight<void>();
  return {
    ...inner,
    save: (runId, result, meta) => inner.save(runId, result, meta),
    readMeta: (runId) => inner.readMeta(runId),
    open: (runId) => inner.open(runId),
    csvStream: (runId, slice) => inner.csvStream(runId, slice),
    csvFile: (runId) => inner.csvFile(runId),
    arrowStream: (runId, slice) => inner.arrowStream(runId, slice),
    list: () => inner.list(),
    remove(runId) {
      const removed = inner.remove(runId);
      if (isRunId(runId)) {
        // Retention of the shared copy: best effort (the next sweep tries again on any node).
        for (const f of [RESULT_FILE, 'meta.json'] as const) void blobs.delete(blobKeys.runFile(runId, f)).catch(() => undefined);
      }
      return removed;
    },
    async publish(runId) {
      const folder = join(inner.dir, runId);
      // The columnar file first, meta.json last: a node that finds meta.json finds the rows.
      await blobs.putFile(blobKeys.runFile(runId, RESULT_FILE), join(folder, RESULT_FILE));
      await blobs.putFile(blobKeys.runFile(runId, 'meta.json'), join(folder, 'meta.json'));
    },
    fetch(runId) {
      if (!isRunId(runId) || existsSync(join(inner.dir, runId, 'meta.json'))) return Promise.resolve();
      return once(runId, async () => {
        const tmp = join(inner.dir, `.${runId}.fetch-${randomBytes(4).toString('hex')}`);
        try {
          await mkdir(tmp, { recursive: true });
          // meta.json decides whether the run exists; unknown runs stay NOT_FOUND (readMeta says so).
          if (!(await blobs.getToFile(blobKeys.runFile(runId, 'meta.json'), join(tmp, 'meta.json')))) return;
          if (!(await blobs.getToFile(blobKeys.runFile(runId, RESULT_FILE), join(tmp, RESULT_FILE)))) return;
          await rename(tmp, join(inner.dir, runId)).catch((e: NodeJS.ErrnoException) => {
            // Another reader on this node renamed its copy first: same bytes.
            if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
          });
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
      });
    },
  };
}
