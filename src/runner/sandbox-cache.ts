/**
 * The sandbox self-test's verdict, remembered per host: the self-test starts a sandboxed node
 * (~50-150 ms, synchronously) and would otherwise run at every CLI start.
 *
 * Only a positive verdict ("sandboxed") is remembered, so a forged or stale file can never make
 * us run unsandboxed: at worst it makes us use bubblewrap where it no longer works, and then the
 * workers fail to start (the pool forgets the verdict then, and the next start probes again).
 * Every worker is still started inside the same sandbox; only the probe is skipped.
 *
 * The key covers what decides the probe's outcome: the exact launch command (tools, binds, node,
 * probe script), the kernel (release, build, boot id: a reboot or a changed sysctl not persisted
 * re-probes), the user-namespace sysctls, our uid/gid, node's version, and the identity of the
 * bwrap / setpriv / prlimit / node binaries (an upgrade re-probes). A verdict is kept a day.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { release, version } from 'node:os';
import { join } from 'node:path';
import type { IsolationReport } from './types.ts';

const FILE = 'sandbox-self-test.json';
const MAX_AGE_MS = 24 * 3600 * 1000;
/** Kernel settings that turn unprivileged user namespaces (bubblewrap's base) on or off. */
const SYSCTLS = [
  '/proc/sys/kernel/random/boot_id',
  '/proc/sys/kernel/unprivileged_userns_clone',
  '/proc/sys/user/max_user_namespaces',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
];

interface Stored {
  key: string;
  at: number;
  report: IsolationReport;
}

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function identity(path: string | undefined): string {
  if (path === undefined) return '-';
  try {
    const real = realpathSync(path);
    const s = statSync(real);
    return `${real}:${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return `${path}:missing`;
  }
}

/**
 * The cache key of a self-test run with `command`. A private copy of the worker's files lives in
 * a per-process temp folder (worker-bundle.ts): its name is normalised so it does not defeat the cache.
 */
export function selfTestKey(
  command: { command: string; args: string[]; env: Record<string, string> },
  binaries: (string | undefined)[],
): string {
  const normalise = (s: string): string => s.replace(/fmu-gateway-runtime-\d+-[A-Za-z0-9]+/g, 'fmu-gateway-runtime-*');
  const parts = {
    command: [command.command, ...command.args].map(normalise),
    env: Object.entries(command.env).map(([k, v]) => `${k}=${normalise(v)}`),
    kernel: [release(), version()],
    sysctls: SYSCTLS.map((p) => readOr(p, '-')),
    ids: [process.getuid?.() ?? -1, process.getgid?.() ?? -1],
    node: [process.version, identity(process.execPath)],
    binaries: binaries.map(identity),
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The remembered positive verdict for `key`, or undefined (none, another key, too old, untrusted file). */
export function readSelfTest(cacheDir: string, key: string): IsolationReport | undefined {
  const path = join(cacheDir, FILE);
  try {
    const s = statSync(path);
    // Ours and written only by us: another user's (or a group-writable) file is not evidence.
    if (s.uid !== (process.getuid?.() ?? s.uid) || (s.mode & 0o022) !== 0) return undefined;
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Stored;
    if (stored.key !== key || !(Date.now() - stored.at < MAX_AGE_MS) || stored.report?.level !== 'sandboxed') return undefined;
    const { level, features, missing } = stored.report;
    if (!Array.isArray(features) || !Array.isArray(missing)) return undefined;
    return { level, features: features.map(String), missing: missing.map(String) };
  } catch {
    return undefined;
  }
}

/** Remembers a positive verdict (best effort: a read-only data dir only costs the probe next time). */
export function writeSelfTest(cacheDir: string, key: string, report: IsolationReport): void {
  if (report.level !== 'sandboxed') return;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const path = join(cacheDir, FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    const stored: Stored = {
      key,
      at: Date.now(),
      report: { level: report.level, features: [...report.features], missing: [...report.missing] },
    };
    writeFileSync(tmp, JSON.stringify(stored), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    // not cached
  }
}

/** Forgets the verdict (workers failed to start in the sandbox it vouched for). */
export function forgetSelfTest(cacheDir: string): void {
  rmSync(join(cacheDir, FILE), { force: true });
}
