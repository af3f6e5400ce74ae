/**
 * The launcher's V8 code cache for hot commands (bin/code-cache.js, tools/build-cli.ts
 * CACHED_COMMANDS): made by the first run, used by the next, and a missing, corrupt, foreign or
 * unwritable cache never changes a result — the run just compiles as without one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { codeCacheDir, readCodeCache, writeCodeCache } from '../../bin/code-cache.js';
import { BIN, ROOT, gatewayEnv } from './mcp-harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-code-cache-'));
const cacheDir = join(dataDir, 'v8');
const hasBundle = existsSync(join(ROOT, 'build', 'cli', 'cached', 'simulate.cjs'));

function simulate(extra: Record<string, string> = {}): { stdout: string; mark: string | undefined; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'simulate', 'msl:BouncingBall', '--stop', '3', '--json'], {
    cwd: ROOT,
    env: gatewayEnv(dataDir, { FMU_GATEWAY_TRACE_STARTUP: '1', FMU_GATEWAY_CODE_CACHE_DIR: cacheDir, ...extra }),
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const mark = /^fmu-gateway startup: [\d.]+ code cache (\w+) \(simulate\)$/m.exec(r.stderr)?.[1];
  return { stdout: r.stdout, mark, stderr: r.stderr };
}

/** The run's answer without what differs between runs (run id, timings, stored paths). */
function answer(stdout: string): unknown {
  const j = JSON.parse(stdout) as Record<string, unknown> & { provenance: Record<string, unknown> };
  const { run_id: _id, result_uri: _uri, stats: _stats, provenance, ...rest } = j;
  return { ...rest, model: provenance.model_name, isolation: provenance.isolation, fmu: provenance.fmu_sha256 };
}

const cacheFiles = (): string[] => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.bin')) : []);

describe('CLI code cache', { timeout: 300_000, skip: hasBundle ? false : 'no build/cli/cached bundle (npm run build)' }, () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  let reference: unknown;

  it('the first run makes the cache, the second uses it, and both answer the same', () => {
    const first = simulate();
    assert.equal(first.mark, 'none');
    assert.equal(cacheFiles().length, 1, `cache files: ${cacheFiles().join(', ')}`);
    const second = simulate();
    assert.equal(second.mark, 'used');
    reference = answer(first.stdout);
    assert.deepEqual(answer(second.stdout), reference);
    // The same answer as the plain ES module bundle (no cached bundle at all).
    const plain = simulate({ FMU_GATEWAY_CODE_CACHE: '0' });
    assert.equal(plain.mark, undefined);
    assert.deepEqual(answer(plain.stdout), reference);
    assert.doesNotMatch(first.stderr + second.stderr, /ExperimentalWarning|Error/);
  });

  it('a corrupted cache file is ignored (CRC), the run is correct, and the file is made again', () => {
    const file = join(cacheDir, cacheFiles()[0] as string);
    const bytes = readFileSync(file);
    // Flip bytes in the middle of V8's payload: only our checksum can tell (V8 does not, in release builds).
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const r = simulate();
    assert.equal(r.mark, 'none');
    assert.deepEqual(answer(r.stdout), reference);
    assert.equal(simulate().mark, 'used');
  });

  it("a cache V8 refuses (our header intact, someone else's payload) is reported rejected and replaced", () => {
    const name = cacheFiles()[0] as string;
    const hash = /^simulate-([0-9a-f]{32})-/.exec(name)?.[1] as string;
    writeCodeCache(join(cacheDir, name), hash, Buffer.from('not a V8 code cache, but with a valid CRC'.repeat(100)));
    const r = simulate();
    assert.equal(r.mark, 'rejected');
    assert.deepEqual(answer(r.stdout), reference);
    assert.equal(simulate().mark, 'used');
  });

  it('an unwritable cache folder only means no cache', () => {
    const blocked = join(dataDir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache folder would be');
    const r = simulate({ FMU_GATEWAY_CODE_CACHE_DIR: join(blocked, 'v8') });
    assert.equal(r.mark, 'none');
    assert.deepEqual(answer(r.stdout), reference);
    assert.doesNotMatch(r.stderr, /EEXIST|ENOTDIR|Error/);
  });

  it('simulate ends itself right after its answer and leaves no worker process and no folder behind', async () => {
    // The workers' sandbox binds carry the gateway's pid (fmu-gateway-stage-<pid>-…, -results-<pid>-…).
    const strays = (pid: number): number[] =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`fmu-gateway-stage-${pid}-`);
          } catch {
            return false; // gone meanwhile
          }
        })
        .map(Number);
    const folders = (pid: number): string[] => readdirSync(tmpdir()).filter((f) => f.includes(`-${pid}-`) && f.startsWith('fmu-gateway-'));
    const child = spawn(process.execPath, [BIN, 'simulate', 'msl:BouncingBall', '--stop', '3'], {
      cwd: ROOT,
      env: gatewayEnv(dataDir, { FMU_GATEWAY_CODE_CACHE_DIR: cacheDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pid = child.pid as number;
    // Positive control: the same detectors see the worker and its folders while the run is on.
    let seenWorker = false;
    let seenFolders = false;
    let done = false;
    void exited.then(() => (done = true));
    while (!done && !(seenWorker && seenFolders)) {
      seenWorker ||= strays(pid).length > 0;
      seenFolders ||= folders(pid).length > 0;
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(await exited, 0);
    assert.match(out, /BouncingBall: 301 rows/);
    assert.ok(seenWorker && seenFolders, `the detectors saw the run's worker (${seenWorker}) and folders (${seenFolders})`);
    assert.deepEqual(strays(pid), [], 'no worker process outlives the command');
    assert.deepEqual(folders(pid), [], 'no staging / result folder is left');
  });

  it('reads only whole files of the same bundle', () => {
    const dir = mkdtempSync(join(dataDir, 'unit-'));
    const file = join(dir, 'x.bin');
    const hash = 'a'.repeat(32);
    writeCodeCache(file, hash, Buffer.from('payload'));
    assert.equal(readCodeCache(file, hash)?.toString(), 'payload');
    assert.equal(readCodeCache(file, 'b'.repeat(32)), undefined, 'another bundle');
    writeFileSync(file, readFileSync(file).subarray(0, 50));
    assert.equal(readCodeCache(file, hash), undefined, 'truncated');
    assert.equal(readCodeCache(join(dir, 'missing.bin'), hash), undefined, 'missing');
    assert.equal(codeCacheDir({ FMU_GATEWAY_CACHE_DIR: '/c' }), '/c/v8');
    assert.equal(codeCacheDir({ FMU_GATEWAY_CODE_CACHE_DIR: '/d', FMU_GATEWAY_CACHE_DIR: '/c' }), '/d');
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/fmu-gateway/v8');
  });
});
