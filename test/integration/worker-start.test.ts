/**
 * The worker's files reach the sandbox whatever the node_modules layout, and when something is
 * missing the gateway says what, where it looked, and what it ran:
 * - koffi in a pnpm-style store (real folders under .pnpm/, symlinks between them) resolves to
 *   real paths, and koffi + its native binary load inside bubblewrap with exactly those binds;
 * - a worker whose koffi is not where it was told reports WORKER_START_FAILED naming the module
 *   and the full path tried; a missing worker script likewise;
 * - bubblewrap that is installed but cannot start reports its command and stderr, never
 *   "install bubblewrap", and the required-sandbox refusal says so too.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isGatewayError } from '../../src/errors.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import { buildLaunchCommand, findTools, selfTestSandbox } from '../../src/runner/sandbox.ts';
import { bundleRuntime, resolveKoffi, workerRuntime } from '../../src/runner/worker-bundle.ts';
import { startFailure } from '../../src/runner/worker-process.ts';
import { prerequisite } from '../helpers/prereq.ts';

const tools = findTools();
const skipBwrap = prerequisite('bwrap', tools.bwrap === undefined ? 'bubblewrap is not installed' : undefined);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (prefix: string): string => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  dirs.push(d);
  return d;
};

/** Runs a worker-like process to its exit and returns its stderr (fd 3 open, as the pool gives it). */
function runToExit(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', () => resolve(err));
  });
}

describe('koffi in a pnpm-style store', () => {
  // .pnpm/<pkg>@<v>/node_modules/<pkg> are real folders; their dependencies are symlinks beside them.
  const koffi = resolveKoffi();
  const platformPkg = `@koromix/koffi-${process.platform}-${process.arch}`;
  const store = tempDir('fmu-pnpm-');
  chmodSync(store, 0o755); // a project folder others may enter (mkdtemp makes it 0700)
  const pnpm = join(store, 'node_modules', '.pnpm');
  const gw = join(pnpm, 'fmu-gateway@0.1.0', 'node_modules', 'fmu-gateway');
  const koffiReal = join(pnpm, 'koffi@3', 'node_modules', 'koffi');
  const nativeReal = join(pnpm, '@koromix+koffi@3', 'node_modules', platformPkg);
  mkdirSync(gw, { recursive: true });
  writeFileSync(join(gw, 'package.json'), JSON.stringify({ name: 'fmu-gateway', version: '0.1.0' }));
  cpSync(koffi.dir, koffiReal, { recursive: true });
  if (koffi.native !== undefined) cpSync(koffi.native.dir, nativeReal, { recursive: true });
  symlinkSync(koffiReal, join(pnpm, 'fmu-gateway@0.1.0', 'node_modules', 'koffi'), 'dir');
  mkdirSync(join(pnpm, 'koffi@3', 'node_modules', '@koromix'), { recursive: true });
  symlinkSync(nativeReal, join(pnpm, 'koffi@3', 'node_modules', platformPkg), 'dir');

  it('resolves koffi and its native package to their real folders', () => {
    const r = resolveKoffi(gw);
    assert.equal(r.dir, koffiReal);
    assert.equal(r.entry, join(koffiReal, 'index.cjs'));
    if (koffi.native !== undefined) assert.deepEqual(r.native, { dir: nativeReal, mountAt: join(dirname(koffiReal), platformPkg) });
  });

  it('loads koffi and its binary inside bubblewrap with only the runtime binds', { skip: skipBwrap }, () => {
    const bundle = join(gw, 'build', 'runner', 'worker.mjs');
    mkdirSync(dirname(bundle), { recursive: true });
    writeFileSync(bundle, '');
    const rt = bundleRuntime(bundle, gw);
    assert.equal(rt.source, 'package');
    // The binds name real folders only: no node_modules tree of the store is bound wholesale.
    assert.ok(!rt.binds.includes(join(store, 'node_modules')));
    const cmd = buildLaunchCommand({
      sandboxed: true,
      tools,
      memoryMb: 1024,
      tmpMb: 16,
      nproc: 64,
      uid: 99_998,
      binds: rt.binds,
      env: rt.env,
      nodeArgs: ['-e', "const k = require(process.env.FMU_GATEWAY_KOFFI); k.load('libc.so.6'); process.stdout.write('koffi ' + k.version)"],
    });
    const r = spawnSync(cmd.command, cmd.args, { env: cmd.env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^koffi \d+\.\d+\.\d+/);
  });
});

describe('a worker that cannot start', () => {
  it('names the module and the full path tried when koffi is not where it was told (WORKER_START_FAILED)', async () => {
    const bundle = workerRuntime().nodeArgs.at(-1) ?? '';
    const tried = join(tmpdir(), 'no-such-dir-'.padEnd(300, 'x'), 'koffi', 'index.cjs');
    const stderr = await runToExit([bundle], { FMU_GATEWAY_KOFFI: tried });
    const e = startFailure('exited during start-up (code 71)', stderr);
    assert.ok(isGatewayError(e));
    assert.equal(e.code, 'WORKER_START_FAILED');
    assert.equal(e.data?.module, 'koffi');
    assert.equal(e.data?.path, tried, 'the whole path, not cut');
    assert.ok(e.message.includes(tried));
  });

  it('names the missing worker script', async () => {
    const missing = join(tmpdir(), 'fmu-gateway-no-such-worker.mjs');
    const e = startFailure('exited during start-up (code 1)', await runToExit([missing], {}));
    assert.equal(e.code, 'WORKER_START_FAILED');
    assert.equal(e.data?.module, missing);
  });
});

describe('bubblewrap installed but not starting', { skip: skipBwrap }, () => {
  it('the self-test reports the command tried and bwrap\'s stderr, not "install bubblewrap"', () => {
    const gone = join(tmpdir(), `fmu-gateway-gone-${process.pid}`);
    const report = selfTestSandbox({ tools, runtime: { binds: ['--ro-bind', gone, gone], env: {}, packagePath: gone } });
    assert.equal(report.level, 'process-only');
    const line = report.missing.find((m) => m.startsWith('bwrap:')) ?? '';
    assert.match(line, /installed \(.*bwrap\) but the sandbox did not start/);
    assert.ok(line.includes(`Can't find source path ${gone}`), line);
    assert.ok(line.includes('command tried: '), line);
    assert.ok(line.includes(`--ro-bind ${gone} ${gone}`), line);
    assert.doesNotMatch(report.missing.join(' '), /not installed|apt-get install bubblewrap/);
  });

  it('a required sandbox is refused with that reason, not with "Install bubblewrap"', () => {
    // A bwrap that exists and fails (as a kernel without user namespaces makes the real one fail).
    const cacheDir = tempDir('fmu-gateway-refuse-');
    try {
      createWorkerPool({ size: 1, cacheDir, sandbox: 'required', sandboxTools: { ...tools, bwrap: '/bin/false' } });
      assert.fail('the pool started without a working sandbox');
    } catch (e) {
      assert.ok(isGatewayError(e));
      assert.equal(e.code, 'SANDBOX_UNAVAILABLE');
      assert.match(e.message, /installed \(\/bin\/false\) but the sandbox did not start: no output, exit code 1/);
      assert.match(e.message, /command tried: /);
      assert.doesNotMatch(e.message, /Install bubblewrap/);
    }
  });
});
