/**
 * Each sandboxed worker sees exactly one FMU, at /fmu: a per-worker host directory bound
 * read-only when the worker starts (empty), filled when its first job arrives. A bind mount
 * shows files created later, so the pre-started sandbox never needs new mounts, and an FMU
 * cannot read other FMUs of the cache. Files are hard links (same filesystem) or copies; the
 * sandbox runs as an unprivileged uid, so everything staged must be world-readable.
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { resolveInside } from '../fmi/safe-path.ts';
import { escapeForText } from '../text-escape.ts';

/** True when every ancestor lets "others" traverse it (an unprivileged bwrap must reach it). */
export function traversableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (d === dirname(d)) return true;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Stage roots carry the owning process id (`<prefix><pid>-XXXXXX`): roots of processes that died
 * without closing their pool (a crash, SIGKILL) are removed by the next pool that starts.
 */
export function removeOrphanedRoots(parent: string, prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of entries) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(name);
    if (m?.[1] === undefined || isAlive(Number(m[1]))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** <cacheDir>/.runner when reachable by the sandbox user, else a private dir under the OS temp dir. */
export function createStageRoot(cacheDir: string): string {
  const preferred = join(cacheDir, '.runner');
  mkdirSync(preferred, { recursive: true, mode: 0o755 });
  chmodSync(preferred, 0o755);
  if (traversableByOthers(preferred)) {
    removeOrphanedRoots(preferred, 'pool-');
    return mkdtempSync(join(preferred, `pool-${process.pid}-`));
  }
  removeOrphanedRoots(tmpdir(), 'fmu-gateway-stage-');
  return mkdtempSync(join(tmpdir(), `fmu-gateway-stage-${process.pid}-`));
}

export function createStageDir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  return dir;
}

function stageFile(src: string, dest: string, mode: number): void {
  const readable = (mode & 0o004) !== 0 && ((mode & 0o111) === 0 || (mode & 0o001) !== 0);
  if (readable) {
    try {
      linkSync(src, dest);
      return;
    } catch {
      // other filesystem or link not permitted: copy below
    }
  }
  copyFileSync(src, dest);
  chmodSync(dest, (mode & 0o111) !== 0 ? 0o755 : 0o644);
}

function stageTree(src: string, dest: string): void {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const s = join(src, entry.name);
    const d = resolveInside(dest, entry.name, { what: `the FMU file "${escapeForText(entry.name, 80)}"` });
    // Symlinks are not followed: an archive must not point the sandbox at host files.
    if (entry.isDirectory()) {
      mkdirSync(d, { mode: 0o755 });
      stageTree(s, d);
    } else if (entry.isFile()) {
      stageFile(s, d, statSync(s).mode);
    }
  }
}

/**
 * Fills stageDir with the FMU and maps the paths the worker will use.
 * A binary outside unpackedDir (e.g. compiled from sources elsewhere) is staged under .binary/.
 */
export function stageFmu(
  stageDir: string,
  sandboxDir: string,
  fmu: { unpackedDir: string; binaryPath?: string },
): { unpackedDir: string; binaryPath?: string } {
  stageTree(fmu.unpackedDir, stageDir);
  if (fmu.binaryPath === undefined) return { unpackedDir: sandboxDir };
  const rel = relative(resolve(fmu.unpackedDir), resolve(fmu.binaryPath));
  if (!rel.startsWith('..') && !rel.startsWith(sep)) {
    return { unpackedDir: sandboxDir, binaryPath: `${sandboxDir}/${rel.split(sep).join('/')}` };
  }
  const binDir = join(stageDir, '.binary');
  mkdirSync(binDir, { mode: 0o755 });
  // The file name is <modelIdentifier>.so, i.e. FMU data: proven to stay inside .binary/.
  const name = basename(fmu.binaryPath);
  const dest = resolveInside(binDir, name, { code: 'MODEL_DESCRIPTION_INVALID', what: `the staged binary "${escapeForText(name, 80)}"` });
  stageFile(fmu.binaryPath, dest, statSync(fmu.binaryPath).mode);
  return { unpackedDir: sandboxDir, binaryPath: `${sandboxDir}/.binary/${name}` };
}

export function removeStage(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The same off the event loop (libuv's threads), for a pool that closes: its folders go while the
 * kernel reaps its killed workers, and the caller's last output never waits for a removal. Never
 * rejects (what cannot be removed stays, as with removeStage's force).
 */
export function removeTreeAsync(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
