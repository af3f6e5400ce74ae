/**
 * Blob store on a local directory: one machine, or a directory every node mounts (NFS). Objects
 * are files under <dir>/<key>; writes go to a temporary name in the same folder and are renamed,
 * so a reader never sees half an object.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../errors.ts';
import type { BlobStore } from './types.ts';

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT';

function unavailable(e: unknown, what: string): GatewayError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new GatewayError('DISK_FULL', `blob store: no space left to ${what}`, { retry_after: 30 });
  return new GatewayError('BLOB_STORE_UNAVAILABLE', `blob store (directory): cannot ${what}: ${(e as Error).message}`, {
    retry_after: 5,
  });
}

async function copyAtomically(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = `${to}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await pipeline(createReadStream(from), createWriteStream(tmp));
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
}

export function createLocalBlobStore(dir: string): BlobStore {
  const path = (key: string): string => join(dir, key);
  return {
    kind: 'local',
    location: dir,
    async putFile(key, from) {
      try {
        await copyAtomically(from, path(key));
      } catch (e) {
        throw unavailable(e, `store ${key}`);
      }
    },
    async putBytes(key, bytes) {
      const to = path(key);
      const tmp = `${to}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dirname(to), { recursive: true });
        await writeFile(tmp, bytes, { flush: true });
        await rename(tmp, to);
      } catch (e) {
        throw unavailable(e, `store ${key}`);
      } finally {
        await rm(tmp, { force: true });
      }
    },
    async getToFile(key, to) {
      try {
        await copyAtomically(path(key), to);
        return true;
      } catch (e) {
        if (isMissing(e)) return false;
        throw unavailable(e, `read ${key}`);
      }
    },
    async getRange(key, start, end) {
      let fh;
      try {
        fh = await open(path(key), 'r');
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw unavailable(e, `read ${key}`);
      }
      try {
        const size = (await fh.stat()).size;
        const last = Math.min(end, size - 1);
        const buf = Buffer.alloc(Math.max(0, last - start + 1));
        if (buf.length > 0) await fh.read(buf, 0, buf.length, start);
        return buf;
      } finally {
        await fh.close();
      }
    },
    async size(key) {
      try {
        return (await stat(path(key))).size;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw unavailable(e, `stat ${key}`);
      }
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async status() {
      try {
        await mkdir(dir, { recursive: true });
        await access(dir, constants.W_OK);
        return { kind: 'local', location: dir, ok: true };
      } catch (e) {
        return { kind: 'local', location: dir, ok: false, detail: (e as Error).message };
      }
    },
    async close() {},
  };
}
