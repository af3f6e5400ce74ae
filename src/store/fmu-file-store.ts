/**
 * Uploaded FMUs, stored once by content: <dataDir>/fmus/<sha256>.fmu. Writes go to a temporary
 * file in the same folder and are renamed into place, so a reader never sees a partial file and
 * two concurrent uploads of the same bytes end with one intact copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredFmu {
  sha256: string;
  path: string;
  sizeBytes: number;
  /** True when the same bytes were already stored (nothing was written). */
  alreadyStored: boolean;
}

export interface FmuFileStore {
  readonly dir: string;
  put(bytes: Uint8Array): StoredFmu;
  /** Path of a stored FMU, or undefined when there is none with that hash. */
  pathOf(sha256: string): string | undefined;
}

export function createFmuFileStore(dataDir: string): FmuFileStore {
  const dir = join(dataDir, 'fmus');
  return {
    dir,
    put(bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const path = join(dir, `${sha256}.fmu`);
      if (existsSync(path)) return { sha256, path, sizeBytes: bytes.byteLength, alreadyStored: true };
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${sha256}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        writeFileSync(tmp, bytes);
        renameSync(tmp, path);
      } finally {
        rmSync(tmp, { force: true });
      }
      return { sha256, path, sizeBytes: bytes.byteLength, alreadyStored: false };
    },
    pathOf(sha256) {
      // The pattern check is what keeps a crafted id from naming a path outside the store.
      if (!SHA256_HEX.test(sha256)) return undefined;
      const path = join(dir, `${sha256}.fmu`);
      try {
        return statSync(path).isFile() ? path : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
