/**
 * solver "cvode" (SUNDIALS CVODE through koffi) under the Model Exchange driver: closed forms,
 * time events, the sandboxed worker pool, and the fallback to bdf (with a CVODE_UNAVAILABLE
 * warning) when the library cannot be loaded. The stiff cases (Robertson, VanDerPol mu = 1000)
 * and state events (BouncingBall) run against both bdf and cvode in their own suites.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cvodeAvailable } from '../../src/engine/solvers/cvode.ts';
import { setCvodeLibraryNames } from '../../src/fmi/cvode.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import { simulate } from '../../src/service/simulate.ts';
import { column, eventRowIndices, runModel } from './me-support.ts';
import { buildModels, createTestContext } from './service-helpers.ts';

const skip = !cvodeAvailable() && 'SUNDIALS CVODE (libsundials-cvode6) is not installed';
const base = { startTime: 0, stopTime: 2, outputInterval: 0.05, tolerance: 1e-8 };

for (const v of ['2.0', '3.0'] as const) {
  describe(`cvode under Model Exchange, FMI ${v}`, { skip }, () => {
    it("Dahlquist x' = -k x matches exp(-k t) on the whole grid", async () => {
      const r = await runModel('Dahlquist', v, 'ME', { ...base, solver: 'cvode', startValues: { k: 3 } });
      assert.match(r.solver ?? '', /^cvode \(SUNDIALS CVODE/);
      assert.deepEqual(r.warnings, []);
      const x = column(r, 'x');
      let worst = 0;
      for (let i = 0; i < r.rows; i++) worst = Math.max(worst, Math.abs(x[i]! - Math.exp(-3 * r.time[i]!)));
      assert.ok(worst < 1e-6, `worst error ${worst}`);
      assert.ok(r.stats.steps > 10 && r.stats.steps < 2000, `${r.stats.steps} steps`);
    });

    it('stops exactly at an input jump (an event: CVODE restarts) and agrees with bdf on both sides', async () => {
      const opts = {
        startTime: 0,
        stopTime: 4,
        outputInterval: 0.25,
        tolerance: 1e-9,
        inputSignals: [{ name: 'F', time: [0, 1.3, 1.3, 4], values: [0, 0, 2, 2] }],
      };
      const cv = await runModel('SpringMassDamper', v, 'ME', { ...opts, solver: 'cvode' });
      const bdf = await runModel('SpringMassDamper', v, 'ME', { ...opts, solver: 'bdf' });
      assert.equal(cv.stats.events, 1);
      const rows = eventRowIndices(cv);
      assert.deepEqual(
        rows.map((i) => cv.time[i]),
        [1.3, 1.3],
      );
      assert.deepEqual([...cv.time], [...bdf.time]);
      const a = column(cv, 'x');
      const b = column(bdf, 'x');
      let worst = 0;
      for (let i = 0; i < cv.rows; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst < 1e-6, `cvode vs bdf: ${worst}`);
      assert.ok(Math.abs(a[cv.rows - 1]!) > 0.01, 'the jump moved the mass');
    });
  });
}

describe('cvode fallback', () => {
  it('runs bdf instead, says so with CVODE_UNAVAILABLE, and still matches the closed form', async () => {
    setCvodeLibraryNames(['libsundials_cvode_absent_for_test.so.6']);
    try {
      const r = await runModel('Dahlquist', '3.0', 'ME', { ...base, solver: 'cvode', startValues: { k: 3 } });
      assert.match(r.solver ?? '', /^bdf \(built-in/);
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0] ?? '', /^CVODE_UNAVAILABLE: .*apt-get install libsundials-cvode6/);
      const x = column(r, 'x');
      assert.ok(Math.abs(x[r.rows - 1]! - Math.exp(-6)) < 1e-6);
    } finally {
      setCvodeLibraryNames();
    }
  });
});

describe('cvode in the sandboxed worker pool', { skip }, () => {
  let t: ReturnType<typeof createTestContext>;
  let pool: WorkerPool;
  before(async () => {
    t = createTestContext(await buildModels(['VanDerPol']));
    pool = createWorkerPool({ size: 1, cacheDir: t.ctx.config.cacheDir, sandbox: 'auto', timeoutMs: 20_000 });
    t.ctx.runner = pool;
  });
  after(async () => {
    await pool.close();
    t.cleanup();
  });

  it('loads SUNDIALS inside the worker and reports it as the solver', async () => {
    const { output } = await simulate(t.ctx, {
      fmu_id: 'msl:VanDerPol',
      interface: 'ME',
      solver: 'cvode',
      stop_time: 20,
      step: 0.1,
      tolerance: 1e-6,
      start_values: { mu: 1 },
    });
    assert.match(output.provenance.solver ?? '', /^cvode /);
    assert.deepEqual(output.warnings ?? [], []);
    const amp = Math.max(output.summary.x0?.max ?? 0, -(output.summary.x0?.min ?? 0));
    assert.ok(Math.abs(amp - 2.0086) < 1e-2, `amplitude ${amp}`);
  });
});
