/**
 * The warm path through the real sandboxed pool (issue 24, issue 18 deliverable 1): a caller
 * rerunning the same FMU gets the same worker process (its library already loaded), its results
 * are bit-identical to a cold worker's, no other caller or FMU ever gets that worker, a reused
 * worker that crashes is retired, and simulate keeps every run whole.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SimulationResult } from '../../src/engine/types.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { SimulationJob, WorkerPool } from '../../src/runner/types.ts';
import { buildHostile, hasBwrap, job, rejectsWith } from '../fixtures/hostile/build.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { simulate } from '../../src/service/simulate.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

/** BouncingBall (FMI 3, CS): events, a real library model. */
function bouncingJob(fmu: OpenedFmu): SimulationJob {
  return {
    fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
    options: { startTime: 0, stopTime: 3, outputInterval: 0.01, interface: 'CS' },
  };
}

/** Every recorded value as bytes: two results are the same when these are. */
function bytesOf(r: SimulationResult): Buffer {
  const parts: Buffer[] = [Buffer.from(r.time.buffer, r.time.byteOffset, r.time.byteLength)];
  for (const c of r.columns) {
    assert.ok(c.values instanceof Float64Array, `column ${c.name} is numeric`);
    parts.push(Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength));
  }
  return Buffer.concat(parts);
}

describe('warm reuse of a worker by the same caller and FMU', { skip: !hasBwrap, timeout: 180_000 }, () => {
  let pool: WorkerPool;
  let dir: string;
  let ball: OpenedFmu;
  let segfault: OpenedFmu;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-warm-reuse-'));
    chmodSync(dir, 0o755); // the sandbox user must reach the outboxes under it (else they go to the OS temp dir)
    ball = openFixture(await buildLibraryModel('BouncingBall', '3.0'));
    segfault = openFixture(await buildHostile('segfault'));
    pool = createWorkerPool({
      size: 2,
      cacheDir: join(dir, 'cache'),
      resultDir: join(dir, 'results'),
      sandbox: 'required',
      reuseIdleMs: 60_000,
    });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runOn = async (j: SimulationJob, callerId: string): Promise<{ pid: number; reused: boolean; result: SimulationResult }> => {
    let info = { workerPid: -1, reused: false };
    const result = await pool.run(j, { callerId, onDispatch: (i) => void (info = i) });
    return { pid: info.workerPid, reused: info.reused, result };
  };

  it('reruns on the same worker process with bit-identical results, and never lends it to another caller or FMU', async () => {
    const cold = await runOn(bouncingJob(ball), 'alice');
    assert.equal(cold.reused, false);
    const reference = bytesOf(cold.result);
    assert.ok(cold.result.rows === 301 && reference.byteLength > 0);
    for (let i = 0; i < 5; i++) {
      const warm = await runOn(bouncingJob(ball), 'alice');
      assert.equal(warm.pid, cold.pid, `rerun ${i} ran on another worker`);
      assert.equal(warm.reused, true);
      assert.ok(bytesOf(warm.result).equals(reference), `rerun ${i} differs from the cold run`);
    }
    // Another caller, same FMU: a fresh worker, never alice's (whose library is loaded).
    const bob = await runOn(bouncingJob(ball), 'bob');
    assert.notEqual(bob.pid, cold.pid);
    assert.equal(bob.reused, false);
    assert.ok(bytesOf(bob.result).equals(reference), "a fresh worker's result differs from the reused worker's");
    // The same caller, another FMU: not alice's BouncingBall worker either.
    const other = await runOn(job(segfault, { t_crash: 10 }), 'alice');
    assert.notEqual(other.pid, cold.pid);
    assert.notEqual(other.pid, bob.pid);
    // alice's worker is still hers.
    assert.equal((await runOn(bouncingJob(ball), 'alice')).pid, cold.pid);
  });

  it('retires a reused worker that crashes; the next rerun gets a new one and succeeds', async () => {
    const first = await runOn(job(segfault, { t_crash: 10 }), 'carol');
    const second = await runOn(job(segfault, { t_crash: 10 }), 'carol');
    assert.equal(second.pid, first.pid);
    assert.equal(second.reused, true);
    // The same FMU, the same caller, a run that reaches the NULL write: the reused worker dies.
    await rejectsWith(pool.run(job(segfault, { t_crash: 0.5 }), { callerId: 'carol' }), 'FMU_CRASHED');
    const third = await runOn(job(segfault, { t_crash: 10 }), 'carol');
    assert.notEqual(third.pid, first.pid, 'the crashed worker was handed out again');
    assert.equal(third.reused, false);
    assert.ok(!pool.stats().pids.includes(first.pid), 'the crashed worker is still in the pool');
    const x = third.result.columns.find((c) => c.name === 'x')?.values as Float64Array;
    assert.ok(Math.abs((x[x.length - 1] as number) - Math.exp(-1)) < 1e-6);
  });
});

describe('simulate through the reused worker keeps each run whole and leaves nothing behind', { skip: !hasBwrap, timeout: 180_000 }, () => {
  let ctx: ServiceContext;
  let dir: string;
  let cleanup = (): void => undefined;
  const pools: WorkerPool[] = [];
  const runFolders = (): string[] => readdirSync(ctx.results.dir).filter((n) => !n.startsWith('.'));

  before(async () => {
    ({ ctx, dir, cleanup } = createTestContext(await buildModels(['BouncingBall'])));
    chmodSync(dir, 0o755); // the outboxes then live under runs/.incoming, as in production
  });
  after(async () => {
    for (const p of pools) await p.close();
    cleanup();
  });
  const poolWith = (timeoutMs: number): WorkerPool => {
    const pool = createWorkerPool({ size: 1, cacheDir: ctx.config.cacheDir, resultDir: ctx.results.dir, sandbox: 'required', timeoutMs });
    pools.push(pool);
    return pool;
  };

  it("adopts the worker's file: the run reads back whole, nothing waits in the pool's done/ folder", async () => {
    ctx.runner = poolWith(20_000);
    const first = await simulate(ctx, { fmu_id: 'msl:BouncingBall', stop_time: 3 });
    const again = await simulate(ctx, { fmu_id: 'msl:BouncingBall', stop_time: 3 });
    for (const { output } of [first, again]) {
      assert.deepEqual(readdirSync(join(ctx.results.dir, output.run_id)).sort(), ['meta.json', 'result.cols']);
      const file = await ctx.results.open(output.run_id);
      try {
        assert.equal(file.rows, 301);
        const h = (await file.readColumn(file.columns.findIndex((c) => c.name === 'h'))) as Float64Array;
        assert.equal(h[300], output.summary.h?.final);
      } finally {
        await file.close();
      }
    }
    assert.deepEqual(first.output.summary, again.output.summary);
    const incoming = join(ctx.results.dir, '.incoming');
    const done = readdirSync(incoming).map((root) => join(incoming, root, 'done'));
    assert.ok(done.length > 0);
    for (const d of done) assert.deepEqual(readdirSync(d), [], `${d} holds a result`);
  });

  it('leaves no folder for a run that failed (nothing half-made stays in runs/)', async () => {
    const before = runFolders();
    ctx.runner = poolWith(300);
    // Almost a million rows of BouncingBall: past a 0.3 s limit.
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:BouncingBall', stop_time: 999, step: 0.001 }), isCode('SIMULATION_TIMEOUT'));
    assert.deepEqual(runFolders(), before);
  });
});
