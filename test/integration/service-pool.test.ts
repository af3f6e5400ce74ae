/** simulate through the real worker pool (E's src/runner), as production wires it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import type { ServiceContext } from '../../src/service/context.ts';
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

  it('passes an aborted signal through as CANCELLED', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 2, step: 0.01 }, { signal: ac.signal }), isCode('CANCELLED'));
  });
});
