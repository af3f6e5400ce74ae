/**
 * Uploaded FMUs, stored once by content: <dataDir>/fmus/<sha256>.fmu. Writes go to a temporary
 * file in the same folder and are renamed into place, so a reader never sees a partial file and
 * two concurrent uploads of the same bytes end with one intact copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  };
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
