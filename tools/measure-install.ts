/**
 * Packs the package as `npm publish` would and installs it the way a user does, then prints the
 * figures: tarball size, `npm install <tarball>` time into an empty project (warm npm cache,
 * --prefer-offline), installed size (the whole node_modules and fmu-gateway's own folder), and the
 * machine's load at the time (2 shared cores: a loaded machine inflates the time).
 *
 *   npm run measure:install [-- --keep]      (--keep: leave the temporary project for inspection)
 *
 * The e2e test test/e2e/package-install.test.ts packs and installs with the same functions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from '../bin/source-stamp.js';
import { buildClient } from './build-client.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The environment for npm run from inside `npm test` / `npm run`: none of the outer npm's settings (its prefix!) leak in. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env = cleanEnv()): { stdout: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd} (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${r.stdout}\n${r.stderr}`,
    );
  }
  return { stdout: r.stdout, ms };
}

const stampOf = (file: string): string | undefined => {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { stamp?: string }).stamp;
  } catch {
    return undefined;
  }
};

/**
 * The built files `npm pack` ships, rebuilt only when they do not match the sources (what
 * `prepack` would do, minus the library, which `npm install` built and which is rebuilt only by
 * `npm run build`). Skipping a fresh rebuild keeps the bundles other tests use in place.
 */
export function ensureBuilt(): void {
  const stamp = sourceStamp(ROOT);
  const b = (p: string): string => join(ROOT, 'build', p);
  if (
    stampOf(b('cli/stamp.json')) !== stamp ||
    stampOf(b('runner/worker-stamp.json')) !== stamp ||
    !existsSync(b('runner/archive-thread.mjs')) ||
    !existsSync(b('tools/build-library.mjs'))
  ) {
    // The build script itself (its esbuild plugins need esbuild's async API).
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'build-cli.ts')], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`tools/build-cli.ts failed (${r.status ?? r.signal})`);
  }
  if (stampOf(join(ROOT, 'dist', 'stamp.json')) !== stamp) buildClient();
  if (!existsSync(b('library/catalog.json')))
    throw new Error('build/library/catalog.json is missing: run `npm run build` (needs a C compiler)');
}

export interface Packed {
  tarball: string;
  bytes: number;
  unpackedBytes: number;
  files: string[];
}

/** `npm pack` into `dest` (prepack's build is done by ensureBuilt, so npm's scripts are skipped). */
export function packTarball(dest: string): Packed {
  ensureBuilt();
  const { stdout } = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], ROOT, 300_000);
  const info = (JSON.parse(stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[])[0];
  if (info === undefined) throw new Error(`npm pack printed no package: ${stdout}`);
  return { tarball: join(dest, info.filename), bytes: info.size, unpackedBytes: info.unpackedSize, files: info.files.map((f) => f.path) };
}

/** An empty consumer project, readable by others (as a home or /srv project would be). */
export function emptyProject(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true, type: 'module' }));
  return dir;
}

/** `npm install <tarball>` (local) or `npm install -g --prefix <prefix> <tarball>`; resolves to the wall time in ms. */
export function installTarball(tarball: string, where: { project: string } | { globalPrefix: string }): Promise<number> {
  const common = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  const [args, cwd] =
    'project' in where
      ? [['install', ...common, tarball], where.project]
      : [['install', '-g', '--prefix', where.globalPrefix, ...common, tarball], tmpdir()];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`npm ${args.join(' ')} failed in ${cwd} (${signal ?? `exit ${code}`}):\n${out}`));
    });
  });
}

export function duBytes(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(path)) total += duBytes(join(path, e));
  return total;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gateway-measure-'));
  try {
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const packed = packTarball(dir);
    const project = emptyProject(dir, 'project');
    const ms = await installTarball(packed.tarball, { project });
    const nm = join(project, 'node_modules');
    const lines = [
      `tarball:          ${mb(packed.bytes)} (${packed.files.length} files, ${mb(packed.unpackedBytes)} unpacked) — target ≤ 5 MB`,
      `npm install:      ${(ms / 1000).toFixed(1)} s into an empty project (--prefer-offline, warm cache) — target ≤ 60 s`,
      `installed:        ${mb(duBytes(nm))} in node_modules (${readdirSync(nm).filter((n) => !n.startsWith('.')).length} top-level entries), fmu-gateway itself ${mb(duBytes(join(nm, 'fmu-gateway')))}`,
      `load average:     ${load} before packing (2 cores shared: a loaded machine inflates the time)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n${keep ? `kept: ${project}\n` : ''}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`measure-install: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
