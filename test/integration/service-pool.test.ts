/** simulate through the real worker pool (E's src/runner), as production wires it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInProcessRunner } from '../../src/service/in-process-runner.ts';
import { simulate } from '../../src/service/simulate.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

let ctx: ServiceContext;
let pool: WorkerPool;
let cleanup = () => {};

before(async () => {
  const built = await buildModels(['Dahlquist']);
  ({ ctx, cleanup } = createTestContext(built));
  pool = createWorkerPool({ size: 1, cacheDir: ctx.config.cacheDir, sandbox: 'auto', timeoutMs: 20_000 });
  ctx.runner = pool;
});
after(async () => {
  await pool.close();
  cleanup();
});

describe('simulate through the worker pool', () => {
  it('runs in a worker and reports its isolation in the provenance', async () => {
    const { output } = await simulate(ctx, {
      fmu_id: 'msl:Dahlquist',
      stop_time: 2,
      step: 0.01,
      start_values: { k: 2 },
      kpis: ['x_final'],
    });
    const final = output.kpis.x_final;
    assert.ok(typeof final === 'number' && Math.abs(final - Math.exp(-4)) < 1e-5, `final ${final}`);
    assert.match(output.provenance.isolation, /^(sandboxed|process-only)/);
    assert.equal(output.provenance.isolation.startsWith(pool.isolation.level), true);
  });

  it('stores the worker-written columnar file and answers from the worker digest as from the full columns', async () => {
    const input = { fmu_id: 'msl:Dahlquist', stop_time: 3, step: 0.001, kpis: ['x_mean', 'x_settling_time'], max_points: 40 };
    const viaPool = await simulate(ctx, input);
    const inProcess = await simulate({ ...ctx, runner: createInProcessRunner() }, input);
    for (const key of ['rows', 'summary', 'kpis', 'series'] as const) assert.deepEqual(viaPool.output[key], inProcess.output[key], key);
    const file = await ctx.results.open(viaPool.output.run_id);
    try {
      assert.equal(file.rows, 3001);
      const x = (await file.readColumn(0, 3000)) as Float64Array;
      assert.equal(x[0], viaPool.output.summary.x?.final);
    } finally {
      await file.close();
    }
    // Nothing is left behind in the workers' outboxes once the run is stored.
    const leftovers: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else leftovers.push(p);
      }
    };
    walk(join(ctx.config.cacheDir, '.runner', '.incoming'));
    assert.deepEqual(leftovers, []);
  });

  it('passes an aborted signal through as CANCELLED', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 2, step: 0.01 }, { signal: ac.signal }), isCode('CANCELLED'));
  });
});
