/**
 * Compiles of sources-only FMUs are limited: no more than N compilers alive at once (observed as
 * cc1 processes descending from this process, with a positive control at N = 3), a per-caller
 * bound refused at once, a bounded wait, and the compiler's memory bounded like a worker's
 * (`#include "/dev/zero"` stopped at the limit instead of reaching GiBs).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { ensureBinary } from '../../src/fmi/source-build.ts';
import { createCompileLimiter } from '../../src/fmi/source-build-limit.ts';
import { createMemoryLimiter } from '../../src/runner/memory-limit.ts';
import { processTree } from '../../src/runner/proc-tree.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';
import { ROOT } from '../helpers/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'fmu-compile-limit-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** cc1 / cc1plus processes below this process right now. */
function compilersAlive(): number {
  let n = 0;
  for (const pid of processTree(process.pid)) {
    try {
      if (/^cc1/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) n++;
    } catch {
      // gone
    }
  }
  return n;
}

/** Runs `fn` while sampling the number of live compilers; returns its outcome and the peak. */
async function observe<T>(fn: () => Promise<T>): Promise<{ value: PromiseSettledResult<T>[]; peak: number }> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, compilersAlive())), 5);
  try {
    const value = await Promise.allSettled([fn()]);
    return { value, peak: Math.max(peak, compilersAlive()) };
  } finally {
    clearInterval(timer);
  }
}

const code = (r: PromiseSettledResult<unknown>): string =>
  r.status === 'rejected' ? ((r.reason as { code?: string }).code ?? String(r.reason)) : 'ok';

describe('compile limits', { timeout: 300_000 }, () => {
  let fmu: OpenedFmu;
  let variant = 0;
  /** A distinct build of the same FMU each time (compile options change the binary: no cache hit). */
  const build = () => ({ include_dirs: [], defines: [`GATEWAY_TEST_VARIANT_${++variant}`] });

  before(async () => {
    const path = join(work, 'BouncingBall-src.fmu');
    await buildFmu({ modelDir: join(ROOT, 'library/models/BouncingBall'), fmiVersion: '2.0', outFile: path, binary: false, sources: true });
    fmu = openFmu({ path }, { cacheDir: join(work, 'cache') });
  });

  it('positive control: with 3 allowed, several compilers are seen alive at once', async () => {
    const limiter = createCompileLimiter({ maxConcurrent: 3, maxPerCaller: 10 });
    const { value, peak } = await observe(() =>
      Promise.all(Array.from({ length: 4 }, () => ensureBinary(fmu, 'CS', { cacheDir: join(work, 'cache'), limiter, build: build() }))),
    );
    assert.equal(code(value[0]!), 'ok');
    assert.ok(peak >= 2, `peak ${peak}: the detector sees parallel compilers`);
  });

  it('runs no more than one compiler at a time by default, the others waiting their turn', async () => {
    const limiter = createCompileLimiter({ maxPerCaller: 10 });
    const { value, peak } = await observe(() =>
      Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          ensureBinary(fmu, 'CS', { cacheDir: join(work, 'cache'), limiter, build: build(), callerId: `k${i}` }),
        ),
      ),
    );
    assert.equal(code(value[0]!), 'ok', 'every compile finished');
    assert.equal(peak, 1, `at most one compiler alive (peak ${peak})`);
  });

  it('refuses a second compile of the same caller at once, and stops waiting after the timeout', async () => {
    const limiter = createCompileLimiter({ queueTimeoutMs: 50 });
    const first = ensureBinary(fmu, 'CS', { cacheDir: join(work, 'cache'), limiter, build: build(), callerId: 'a' });
    const [same, other] = await Promise.allSettled([
      ensureBinary(fmu, 'CS', { cacheDir: join(work, 'cache'), limiter, build: build(), callerId: 'a' }),
      ensureBinary(fmu, 'CS', { cacheDir: join(work, 'cache'), limiter, build: build(), callerId: 'b' }),
    ]);
    assert.equal(code(same!), 'SERVER_BUSY');
    assert.equal(((same as PromiseRejectedResult).reason as { data?: { scope?: string } }).data?.scope, 'compile');
    assert.equal(code(other!), 'SERVER_BUSY', 'b waited 50 ms behind a, then gave up');
    assert.equal((await first).origin, 'compiled');
    assert.deepEqual(limiter.stats(), { running: 0, waiting: 0 });
  });

  it('bounds the compiler memory: #include "/dev/zero" is stopped at the limit', async () => {
    const dir = join(work, 'zero-model');
    cpSync(join(ROOT, 'library/models/BouncingBall'), dir, { recursive: true });
    writeFileSync(join(dir, 'model.c'), `${readFileSync(join(dir, 'model.c'), 'utf8')}\n#include "/dev/zero"\n`);
    const path = join(work, 'zero.fmu');
    await buildFmu({ modelDir: dir, fmiVersion: '2.0', outFile: path, binary: false, sources: true });
    const zero = openFmu({ path }, { cacheDir: join(work, 'cache') });
    const memory = createMemoryLimiter();
    try {
      const limiter = createCompileLimiter({ memoryMb: 256, memory });
      const t0 = Date.now();
      const [r] = await Promise.allSettled([ensureBinary(zero, 'CS', { cacheDir: join(work, 'cache'), limiter, timeoutMs: 60_000 })]);
      assert.equal(code(r!), 'COMPILE_FAILED', JSON.stringify(r));
      // Stopped by memory, long before the 60 s wall-clock limit.
      assert.ok(Date.now() - t0 < 50_000, `took ${Date.now() - t0} ms`);
      const reason = (r as PromiseRejectedResult).reason as { message: string; data?: Record<string, unknown> };
      assert.equal(reason.data?.memory_limit_mb, 256, reason.message);
      assert.match(reason.message, /memory/);
    } finally {
      memory.close();
    }
  });
});
