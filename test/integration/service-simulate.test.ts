/**
 * simulate through the service on real FMUs (library models compiled from C): numbers against
 * closed forms, the stored CSV against the inline answer, errors before running.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SimulateOutputSchema } from '../../src/schemas/simulate.ts';
import { readRunResult, runIdFromUri } from '../../src/service/read-run.ts';
import { simulate } from '../../src/service/simulate.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

let ctx: ServiceContext;
let built: Map<string, string>;
let cleanup = () => {};

before(async () => {
  built = await buildModels(['Dahlquist', 'SpringMassDamper']);
  ({ ctx, cleanup } = createTestContext(built, { MAX_OUTPUT_ROWS: '20000' }));
});
after(() => cleanup());

function close(actual: number | null | undefined, expected: number, tol: number, what: string): void {
  assert.ok(typeof actual === 'number', `${what} is ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
}

describe('simulate Dahlquist der(x) = -k·x (closed form x = e^(-k·t))', () => {
  for (const version of ['3.0', '2.0'] as const) {
    it(`matches the closed form and stores the full CSV (FMI ${version})`, async () => {
      const k = 2;
      const { output } = await simulate(ctx, {
        fmu_id: 'msl:Dahlquist',
        fmi_version: version,
        stop_time: 2,
        step: 0.01,
        start_values: { k },
        kpis: ['x_integral', 'x_rise_time', 'x_final', 'x_mean'],
        max_points: 20,
      });
      assert.ok(SimulateOutputSchema.safeParse(output).success, 'the answer validates against the tool output schema');
      assert.equal(output.rows, 201);
      // The CS solver of the library runs at tolerance 1e-6; 1e-5 absolute leaves room for it.
      close(output.summary.x?.final, Math.exp(-4), 1e-5, 'final');
      close(output.summary.x?.max, 1, 1e-12, 'max');
      // Trapezoid on a 0.01 grid: error ≈ h²/12·∫x'' = 8e-6·(1 − e^-4)·... < 2e-5.
      close(output.kpis.x_integral, (1 - Math.exp(-4)) / k, 3e-5, 'integral');
      close(output.kpis.x_mean, (1 - Math.exp(-4)) / k / 2, 2e-5, 'mean');
      const d = Math.exp(-4) - 1; // falling step from 1 to e^-4
      close(output.kpis.x_rise_time, (Math.log(1 + 0.1 * d) - Math.log(1 + 0.9 * d)) / k, 1e-3, 'rise_time');

      const time = output.series.time ?? [];
      assert.equal(time.length, 20);
      assert.deepEqual([time[0], time[19]], [0, 2]);
      assert.equal(output.series.x?.length, 20);

      const p = output.provenance;
      assert.deepEqual(
        [p.fmi_version, p.interface, p.solver, p.start_time, p.stop_time, p.step, p.start_values],
        [version, 'CS', null, 0, 2, 0.01, { k }],
      );
      const fmuBytes = readFileSync(built.get(`Dahlquist@${version}`) as string);
      assert.equal(p.fmu_sha256, createHash('sha256').update(fmuBytes).digest('hex'));

      // The full CSV holds every row, and agrees with the inline summary.
      const runId = runIdFromUri(output.result_uri);
      assert.equal(runId, output.run_id);
      const file = readRunResult(ctx, output.run_id);
      const text = await file.readText(1 << 20);
      const lines = text.trimEnd().split('\n');
      assert.equal(lines[0], 'time,x');
      assert.equal(lines.length, 202);
      const last = (lines[201] as string).split(',').map(Number);
      assert.deepEqual(last, [2, output.summary.x?.final]);
      assert.equal(file.meta.run_id, output.run_id);
      // The stream renders the same text, and a too-small budget is refused with the paging hint.
      let streamed = '';
      for await (const chunk of await file.csvStream()) streamed += String(chunk);
      assert.equal(streamed, text);
      await assert.rejects(file.readText(100), isCode('OUTPUT_LIMIT_EXCEEDED'));
    });
  }

  it('uses the default experiment when stop_time and step are omitted, FMI 3.0 by default', async () => {
    const { output } = await simulate(ctx, { fmu_id: 'msl:Dahlquist' });
    assert.deepEqual([output.provenance.stop_time, output.provenance.step, output.provenance.fmi_version], [10, 0.1, '3.0']);
    assert.equal(output.rows, 101);
    assert.equal(output.series.time?.length, 50, 'the inline series is downsampled to the default 50 points');
    close(output.summary.x?.final, Math.exp(-10), 1e-6, 'final');
  });

  it('returns a PNG plot when asked', async () => {
    const { plotPng } = await simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, plot: true });
    assert.ok(plotPng);
    assert.equal(plotPng.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(plotPng.length > 5_000 && plotPng.length < 150_000, `${plotPng.length} bytes`);
  });

  it('reports progress and honours the output variables asked for', async () => {
    const seen: number[] = [];
    const { output } = await simulate(
      ctx,
      { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1, outputs: ['k', 'x'] },
      { onProgress: (f) => seen.push(f) },
    );
    assert.deepEqual(Object.keys(output.summary).sort(), ['k', 'x']);
    assert.equal(output.summary.k?.min, 1);
    assert.ok(seen.every((f) => f >= 0 && f <= 1));
  });
});

describe('simulate SpringMassDamper step response (second order)', () => {
  it('overshoots by 100·exp(−ζπ/√(1−ζ²)) and settles at F/k', async () => {
    // m = 1, k = 4, c = 1.6 → ωn = 2, ζ = 0.4; F = 1 from x = 0 → final F/k = 0.25.
    const { output } = await simulate(ctx, {
      fmu_id: 'msl:SpringMassDamper',
      stop_time: 20,
      step: 0.005,
      start_values: { x: 0, v: 0, c: 1.6 },
      input_signals: [{ name: 'F', time: [0, 20], values: [1, 1] }],
      kpis: ['x_overshoot', 'x_final', 'x_peak_to_peak'],
    });
    const zeta = 0.4;
    const mp = Math.exp((-zeta * Math.PI) / Math.sqrt(1 - zeta * zeta));
    // e^(−ζωn·20) = 1e-7 leaves the final value at F/k; sampling the peak on a 5 ms grid costs < 1e-4 %.
    close(output.kpis.x_final, 0.25, 1e-5, 'final');
    close(output.kpis.x_overshoot, 100 * mp, 0.01, 'overshoot %');
    close(output.kpis.x_peak_to_peak, 0.25 * (1 + mp), 1e-4, 'peak_to_peak');
    assert.equal(output.provenance.input_signals[0]?.name, 'F');
  });
});

describe('simulate errors, before any run', () => {
  it('rejects more rows than MAX_OUTPUT_ROWS', async () => {
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 100, step: 0.001 }), isCode('OUTPUT_LIMIT_EXCEEDED'));
  });

  it('rejects an unknown output, KPI variable and start value', async () => {
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, outputs: ['y'] }), isCode('UNKNOWN_VARIABLE'));
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, kpis: ['y_max'] }), isCode('UNKNOWN_VARIABLE'));
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, start_values: { kk: 1 } }), isCode('UNKNOWN_VARIABLE'));
  });

  it('rejects unknown library models and uploads', async () => {
    await assert.rejects(simulate(ctx, { fmu_id: 'msl:NoSuchModel', stop_time: 1 }), isCode('NOT_FOUND'));
    await assert.rejects(simulate(ctx, { fmu_id: `sha256:${'0'.repeat(64)}`, stop_time: 1 }), isCode('NOT_FOUND'));
  });

  it('rejects a run result that does not exist', () => {
    assert.throws(() => readRunResult(ctx, 'rzzzzzzzz-000000000000'), isCode('NOT_FOUND'));
    assert.equal(runIdFromUri('fmu-gateway://runs/../x/result.csv'), undefined);
    assert.equal(runIdFromUri('fmu-gateway://runs/abc/result.csv'), 'abc');
    assert.throws(() => readRunResult(ctx, '..'), isCode('NOT_FOUND'));
  });
});
