/**
 * Uploaded FMUs, stored once by content: <dataDir>/fmus/<sha256>.fmu. Writes go to a temporary
 * file in the same folder and are renamed into place, so a reader never sees a partial file and
 * two concurrent uploads of the same bytes end with one intact copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { diskFault, syncAndCheck, syncDir, writeFileAtomic } from './atomic-file.ts';
import { join } from 'node:path';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredFmu {
  sha256: string;
  path: string;
  sizeBytes: number;
  /** True when the same bytes were already stored (nothing was written). */
  alreadyStored: boolean;
}

/** Compile options stored with an upload (src/schemas/upload.ts CompileOptions, normalized). */
export interface StoredCompileOptions {
  include_dirs: string[];
  defines: string[];
}

export interface FmuFileStore {
  readonly dir: string;
  /**
   * Store by content. With compile options the id is the sha256 of the bytes and the options
   * together (<id>.fmu + <id>.compile.json), so the same archive built two ways has two ids and
   * no upload ever changes what an existing id runs.
   */
  put(bytes: Uint8Array, compileOptions?: StoredCompileOptions): StoredFmu;
  /** The compile options stored with an id, or undefined (none, or no such FMU). */
  compileOptionsOf(sha256: string): StoredCompileOptions | undefined;
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
    put(bytes, compileOptions) {
      const hash = createHash('sha256').update(bytes);
      const options = compileOptions === undefined ? undefined : JSON.stringify(compileOptions);
      if (options !== undefined) hash.update('\0fmu-gateway compile options\0').update(options);
      const sha256 = hash.digest('hex');
      const path = join(dir, `${sha256}.fmu`);
      if (existsSync(path)) return { sha256, path, sizeBytes: bytes.byteLength, alreadyStored: true };
      mkdirSync(dir, { recursive: true });
      // The options first: a reader that finds <id>.fmu finds its options too.
      if (options !== undefined) writeAtomically(join(dir, `${sha256}.compile.json`), options);
      writeAtomically(path, bytes);
      return { sha256, path, sizeBytes: bytes.byteLength, alreadyStored: false };
    },
    compileOptionsOf(sha256) {
      if (!SHA256_HEX.test(sha256)) return undefined;
      try {
        const raw = JSON.parse(readFileSync(join(dir, `${sha256}.compile.json`), 'utf8')) as Partial<StoredCompileOptions>;
        const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
        return { include_dirs: strings(raw.include_dirs), defines: strings(raw.defines) };
      } catch {
        return undefined;
      }
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
      try {
        // The bytes were hashed as received and checked against the file (its sha256 is its name): made durable before they become visible.
        syncAndCheck(tmpPath, sizeBytes);
        renameSync(tmpPath, path);
        syncDir(dir);
      } catch (e) {
        rmSync(tmpPath, { force: true });
        throw diskFault(e, 'the uploaded FMU');
      }
      return { sha256, path, sizeBytes, alreadyStored: false };
    },
    remove(sha256) {
      if (!SHA256_HEX.test(sha256)) return false;
      const path = join(dir, `${sha256}.fmu`);
      if (!existsSync(path)) return false;
      rmSync(path, { force: true });
      rmSync(join(dir, `${sha256}.compile.json`), { force: true });
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

function writeAtomically(path: string, data: Uint8Array | string): void {
  writeFileAtomic(path, data);
}
