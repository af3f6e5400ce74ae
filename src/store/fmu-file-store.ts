/**
 * Uploaded FMUs, stored once by content: <dataDir>/fmus/<sha256>.fmu. Writes go to a temporary
 * file in the same folder and are renamed into place, so a reader never sees a partial file and
 * two concurrent uploads of the same bytes end with one intact copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /** A fresh temporary path inside the store's folder (same file system: adopt renames it). */
  tempPath(): string;
  /**
   * Moves a complete file (streamed there by an upload, already hashed) into the store under its
   * sha256; when those bytes are already stored the file is deleted instead.
   */
  adopt(tmpPath: string, sha256: string): StoredFmu;
  /** Deletes a stored FMU (retention); false when there was none. */
  remove(sha256: string): boolean;
  /** Every stored FMU with its modification time (retention). */
  list(): { sha256: string; mtimeMs: number }[];
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
    tempPath() {
      mkdirSync(dir, { recursive: true });
      return join(dir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
    },
    adopt(tmpPath, sha256) {
      if (!SHA256_HEX.test(sha256)) throw new Error(`fmu store: "${sha256}" is not a sha256`);
      const path = join(dir, `${sha256}.fmu`);
      const sizeBytes = statSync(tmpPath).size;
      if (existsSync(path)) {
        rmSync(tmpPath, { force: true });
        return { sha256, path, sizeBytes, alreadyStored: true };
      }
      renameSync(tmpPath, path);
      return { sha256, path, sizeBytes, alreadyStored: false };
    },
    remove(sha256) {
      if (!SHA256_HEX.test(sha256)) return false;
      const path = join(dir, `${sha256}.fmu`);
      if (!existsSync(path)) return false;
      rmSync(path, { force: true });
      return true;
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      const out: { sha256: string; mtimeMs: number }[] = [];
      for (const name of names) {
        const sha256 = name.slice(0, -'.fmu'.length);
        if (!name.endsWith('.fmu') || !SHA256_HEX.test(sha256)) continue;
        try {
          out.push({ sha256, mtimeMs: statSync(join(dir, name)).mtimeMs });
        } catch {
          // Removed meanwhile.
        }
      }
      return out;
    },
  };
}
