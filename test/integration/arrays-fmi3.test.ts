/**
 * FMI 3 arrays on the hand-written StateSpace fixture (test/fixtures/state-space): x' = A·x + B·u
 * with an n × n matrix A whose size is the structural parameter n = 2, an n × 2 matrix B, a
 * 2-element input u and the state array x. Start values and inputs go in as nested arrays, every
 * element is recorded as its own column "x[1]", "A[1,2]", and the numbers match the closed form
 * x(t) = e^(A·t)·x0 + A⁻¹·(e^(A·t) − I)·B·u for an upper-triangular A. The fixture, like the FMI
 * reference FMUs, refuses a get/set whose nValues is not the number of elements behind the value
 * references, so a binding that passed one value per reference would fail here.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation, type RunnableFmu } from '../../src/engine/run.ts';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

let fmu: RunnableFmu;
before(async () => {
  fmu = openFixture(await buildFixture('state-space', '3.0', { handWritten: true }));
});

type Vec = [number, number];
type Mat = [Vec, Vec];

/** e^(A·t) of an upper-triangular 2 × 2 A = [[a, b], [0, d]] with a ≠ d. */
function expm(A: Mat, t: number): Mat {
  const [[a, b], [, d]] = A;
  const ea = Math.exp(a * t),
    ed = Math.exp(d * t);
  return [
    [ea, (b * (ea - ed)) / (a - d)],
    [0, ed],
  ];
}
const mul = (M: Mat, v: Vec): Vec => [M[0][0] * v[0] + M[0][1] * v[1], M[1][0] * v[0] + M[1][1] * v[1]];
const sub = (p: Vec, q: Vec): Vec => [p[0] - q[0], p[1] - q[1]];
const add = (p: Vec, q: Vec): Vec => [p[0] + q[0], p[1] + q[1]];
function inv(A: Mat): Mat {
  const [[a, b], [c, d]] = A;
  const det = a * d - b * c;
  return [
    [d / det, -b / det],
    [-c / det, a / det],
  ];
}
/** x(t) from x0 under constant u. */
function closedForm(A: Mat, B: Mat, x0: Vec, u: Vec, t: number): Vec {
  const E = expm(A, t);
  const Bu = mul(B, u);
  return add(mul(E, x0), mul(inv(A), sub(mul(E, Bu), Bu)));
}

const A: Mat = [
  [-0.5, 1],
  [0, -2],
];
const B: Mat = [
  [1, 0],
  [0.5, 2],
];
const X0: Vec = [1, -1];

function values(r: SimulationResult, name: string): Float64Array {
  const c = r.columns.find((col) => col.name === name);
  assert.ok(c && c.values instanceof Float64Array, `no column ${name} in ${r.columns.map((x) => x.name).join(', ')}`);
  return c.values;
}

function run(options: Partial<SimulationOptions>): SimulationResult {
  return runSimulation(fmu, { startTime: 0, stopTime: 2, outputInterval: 0.1, ...options });
}

describe("FMI 3 arrays (StateSpace x' = A·x + B·u)", () => {
  it('parses the dimensions: structural-parameter and fixed sizes', () => {
    const md = fmu.modelDescription;
    const dims = Object.fromEntries(md.variables.map((v) => [v.name, v.dimensions]));
    assert.deepEqual(dims.A, ['n', 'n']);
    assert.deepEqual(dims.B, ['n', 2]);
    assert.equal(md.number_of_continuous_states, 2);
  });

  for (const iface of ['ME', 'CS'] as const) {
    it(`matches the closed form with nested-array start values and a constant input (${iface})`, () => {
      const u: Vec = [0.8, -0.3];
      const r = run({
        interface: iface,
        tolerance: 1e-10,
        startValues: { A, B, x: X0, u },
        outputs: ['x', 's', 'A', 'B'],
      });
      assert.deepEqual(
        r.columns.map((c) => c.name),
        ['x[1]', 'x[2]', 's', 'A[1,1]', 'A[1,2]', 'A[2,1]', 'A[2,2]', 'B[1,1]', 'B[1,2]', 'B[2,1]', 'B[2,2]'],
      );
      const [x1, x2, s] = [values(r, 'x[1]'), values(r, 'x[2]'), values(r, 's')];
      for (let i = 0; i < r.rows; i++) {
        const [e1, e2] = closedForm(A, B, X0, u, r.time[i]!);
        const at = `t = ${r.time[i]}`;
        assert.ok(Math.abs(x1[i]! - e1) < 1e-8, `${at}: x[1] ${x1[i]} vs ${e1}`);
        assert.ok(Math.abs(x2[i]! - e2) < 1e-8, `${at}: x[2] ${x2[i]} vs ${e2}`);
        assert.ok(Math.abs(s[i]! - (x1[i]! + x2[i]!)) < 1e-12, `${at}: s`);
      }
      // The matrices read back row-major, as set.
      assert.deepEqual(
        ['A[1,1]', 'A[1,2]', 'A[2,1]', 'A[2,2]', 'B[2,1]'].map((n) => values(r, n)[r.rows - 1]),
        [A[0][0], A[0][1], A[1][0], A[1][1], B[1][0]],
      );
    });

    it(`drives an array input from a table with a jump, one nested array per sample (${iface})`, () => {
      const uBefore: Vec = [1, 0],
        uAfter: Vec = [0, -1];
      const r = run({
        interface: iface,
        tolerance: 1e-10,
        outputInterval: 0.25,
        startValues: { A, B, x: X0 },
        inputSignals: [{ name: 'u', time: [0, 1, 1, 2], values: [uBefore, uBefore, uAfter, uAfter], interpolation: 'hold' }],
      });
      const at1 = closedForm(A, B, X0, uBefore, 1);
      const x1 = values(r, 'x[1]'),
        x2 = values(r, 'x[2]');
      for (let i = 0; i < r.rows; i++) {
        const t = r.time[i]!;
        const [e1, e2] = t <= 1 ? closedForm(A, B, X0, uBefore, t) : closedForm(A, B, at1, uAfter, t - 1);
        assert.ok(Math.abs(x1[i]! - e1) < 1e-8 && Math.abs(x2[i]! - e2) < 1e-8, `t = ${t}: (${x1[i]}, ${x2[i]}) vs (${e1}, ${e2})`);
      }
      if (iface === 'ME') assert.equal(r.stats.events, 1);
    });
  }

  for (const iface of ['ME', 'CS'] as const) {
    it(`resizes the arrays through the structural parameter n, set in Configuration Mode (${iface})`, () => {
      // n = 3, A diagonal: each state on its own, x_i(t) = e^(a_i t)·x0_i + (e^(a_i t) − 1)/a_i·(B·u)_i.
      const a = [-1, -0.5, -2];
      const Bm = [
        [1, 0],
        [0, 1],
        [1, 1],
      ];
      const x0 = [1, 2, 3];
      const u = [0.5, -1];
      const r = run({
        interface: iface,
        tolerance: 1e-10,
        startValues: { n: 3, A: a.map((ai, i) => a.map((_, j) => (i === j ? ai : 0))), B: Bm, x: x0, u },
        outputs: ['x', 'n', 'A[3,3]'],
      });
      assert.deepEqual(
        r.columns.map((c) => c.name),
        ['x[1]', 'x[2]', 'x[3]', 'n', 'A[3,3]'],
      );
      assert.equal(values(r, 'n')[0], 3);
      for (let k = 0; k < 3; k++) {
        const xk = values(r, `x[${k + 1}]`);
        const bu = Bm[k]![0]! * u[0]! + Bm[k]![1]! * u[1]!;
        for (let i = 0; i < r.rows; i++) {
          const e = Math.exp(a[k]! * r.time[i]!);
          const exact = e * x0[k]! + ((e - 1) / a[k]!) * bu;
          assert.ok(Math.abs(xk[i]! - exact) < 1e-8, `x[${k + 1}](${r.time[i]}) = ${xk[i]} vs ${exact}`);
        }
      }
    });
  }

  const refusals: [string, Partial<SimulationOptions>, string][] = [
    ['a start value of the wrong shape', { startValues: { A: [[1, 2, 3]] } }, 'INVALID_START_VALUE'],
    ['a scalar start value for an array', { startValues: { x: 1 } }, 'INVALID_START_VALUE'],
    ['a matrix of the old size after the structural parameter changed', { startValues: { n: 3, A } }, 'INVALID_START_VALUE'],
    ['a negative size', { startValues: { n: -1 } }, 'INVALID_START_VALUE'],
    ['a size the FMU refuses', { startValues: { n: 9 } }, 'FMI_CALL_FAILED'],
    ['an input sample of the wrong shape', { inputSignals: [{ name: 'u', time: [0], values: [[1, 2, 3]] }] }, 'INVALID_INPUT_SIGNAL'],
  ];
  for (const [what, options, code] of refusals) {
    it(`refuses ${what} with ${code}`, () => {
      assert.throws(() => run(options), { code });
    });
  }
});

describe('FMI 3 arrays through the service', () => {
  it('uploads, runs with nested-array start values from the tool schema, and stores one CSV column per element', async () => {
    const { createTestContext } = await import('./service-helpers.ts');
    const { uploadFmu } = await import('../../src/service/upload-fmu.ts');
    const { simulate } = await import('../../src/service/simulate.ts');
    const { readRunResult } = await import('../../src/service/read-run.ts');
    const { SimulateInputSchema, SimulateOutputSchema } = await import('../../src/schemas/simulate.ts');
    const fmuPath = await buildFixture('state-space', '3.0', { handWritten: true });
    const { ctx, cleanup } = createTestContext(new Map());
    try {
      const { fmu_id } = await uploadFmu(ctx, { path: fmuPath }, { allowPath: true });
      const { getVariables } = await import('../../src/service/get-variables.ts');
      const vars = (await getVariables(ctx, { fmu_id, query: 'A' })).variables;
      assert.deepEqual(vars.find((v) => v.name === 'A')?.dimensions, ['n', 'n']);
      const input = SimulateInputSchema.parse({ fmu_id, interface: 'ME', stop_time: 1, step: 0.5, start_values: { A, B, x: X0 } });
      const { output } = await simulate(ctx, input);
      assert.ok(SimulateOutputSchema.safeParse(output).success);
      assert.deepEqual(Object.keys(output.summary), ['x[1]', 'x[2]', 's']);
      const lines = readRunResult(ctx, output.run_id).readText().trimEnd().split('\n');
      assert.equal(lines[0], 'time,x[1],x[2],s');
      const last = (lines[lines.length - 1] as string).split(',').map(Number);
      const [e1, e2] = closedForm(A, B, X0, [0, 0], 1);
      assert.ok(Math.abs(last[1]! - e1) < 1e-5 && Math.abs(last[2]! - e2) < 1e-5, lines[lines.length - 1]);
      assert.deepEqual(output.provenance.start_values, { A, B, x: X0 });

      // One element as an output and in KPIs.
      const picked = await simulate(
        ctx,
        SimulateInputSchema.parse({
          fmu_id,
          interface: 'ME',
          stop_time: 1,
          step: 0.5,
          start_values: { A, B, x: X0 },
          outputs: ['x[2]'],
          kpis: ['x[1]_max', 'x[2]_final'],
        }),
      );
      assert.deepEqual(Object.keys(picked.output.summary), ['x[2]', 'x[1]']);
      assert.equal(picked.output.kpis['x[1]_max'], 1); // x1 decays from 1 (x2 < 0 pulls it down)
      assert.ok(Math.abs((picked.output.kpis['x[2]_final'] as number) - e2) < 1e-5);
      await assert.rejects(
        simulate(ctx, SimulateInputSchema.parse({ fmu_id, stop_time: 1, outputs: ['x[3]'] })),
        (e: { code: string }) => e.code === 'UNKNOWN_VARIABLE',
      );
      // With n = 3 (a structural parameter, as an agent sends it) x[3] exists.
      const three = await simulate(
        ctx,
        SimulateInputSchema.parse({ fmu_id, stop_time: 1, step: 0.5, start_values: { n: 3 }, outputs: ['x[3]'], kpis: ['x[3]_final'] }),
      );
      assert.equal(three.output.kpis['x[3]_final'], 0); // a new n resets x to zeros, A to -I, B to zeros
    } finally {
      cleanup();
    }
  });
});
