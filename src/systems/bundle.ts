/**
 * A system's bundle: one directory holding every distinct component FMU, unpacked, as
 * sub-directories f0/, f1/, … (hard links to the unpacked cache where possible, copies
 * otherwise). The worker pool stages and maps ONE directory per job, so a whole system reaches
 * its sandboxed worker as one "FMU" directory, and the worker sees these FMUs and nothing else.
 * Content-addressed (<cacheDir>/systems/<hash>/), built in a temporary directory and renamed
 * into place, so concurrent runs of the same system share one complete bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

export interface BundleFmu {
  sha256: string;
  unpackedDir: string;
  /** A shared library outside unpackedDir (compiled from sources). */
  binaryPath?: string;
}

function linkTree(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const s = join(src, entry.name);
    const d = join(dest, entry.name);
    // Symlinks are never followed: an archive must not point the bundle at host files.
    if (entry.isDirectory()) linkTree(s, d);
    else if (entry.isFile()) {
      try {
        linkSync(s, d);
      } catch {
        copyFileSync(s, d);
      }
    }
  }
}

/** Builds (or reuses) the bundle; returns its directory and, per FMU, its sub-directory and binary (relative). */
export function ensureBundle(
  cacheDir: string,
  fmus: readonly BundleFmu[],
): { dir: string; hash: string; parts: { dir: string; binary?: string }[] } {
  const distinct = [...new Map(fmus.map((f) => [`${f.sha256}|${f.binaryPath ?? ''}`, f] as const)).values()];
  const hash = createHash('sha256')
    .update(JSON.stringify(distinct.map((f) => [f.sha256, f.binaryPath === undefined ? '' : basename(f.binaryPath)])))
    .digest('hex');
  const partOf = (f: BundleFmu): { dir: string; binary?: string } => {
    const i = distinct.findIndex((d) => d.sha256 === f.sha256 && d.binaryPath === f.binaryPath);
    const dir = `f${i}`;
    if (f.binaryPath === undefined) return { dir };
    const rel = relative(resolve(f.unpackedDir), resolve(f.binaryPath));
    const inside = !rel.startsWith('..') && !rel.startsWith(sep);
    return { dir, binary: inside ? `${dir}/${rel.split(sep).join('/')}` : `${dir}/.binary/${basename(f.binaryPath)}` };
  };
  const root = join(cacheDir, 'systems');
  const dir = join(root, hash);
  const parts = fmus.map(partOf);
  if (existsSync(join(dir, '.complete'))) return { dir, hash, parts };
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const tmp = join(root, `.tmp-${hash.slice(0, 12)}-${randomBytes(6).toString('hex')}`);
  try {
    distinct.forEach((f, i) => {
      const d = join(tmp, `f${i}`);
      linkTree(f.unpackedDir, d);
      const part = partOf(f);
      if (f.binaryPath !== undefined && part.binary?.startsWith(`f${i}/.binary/`)) {
        mkdirSync(join(d, '.binary'), { recursive: true, mode: 0o755 });
        copyFileSync(f.binaryPath, join(d, '.binary', basename(f.binaryPath)));
      }
    });
    // Marker last: a bundle without it is incomplete and rebuilt.
    writeFileSync(join(tmp, '.complete'), '');
    try {
      renameSync(tmp, dir);
    } catch {
      // Another run published the same bundle first: theirs is complete (it has the marker).
      if (!existsSync(join(dir, '.complete'))) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    }
  } finally {
    if (existsSync(tmp) && lstatSync(tmp).isDirectory()) rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, hash, parts };
}
