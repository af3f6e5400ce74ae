/**
 * (b) The quarter-car two-mass oscillator split into two FMUs (test/fixtures/sys-body, sys-wheel:
 * force / displacement coupling) against the monolithic library model QuarterCar.
 * (d) Two direct-feedthrough gains in a ring: refused with ALGEBRAIC_LOOP naming the cycle.
 * Plus the plan's checks: type mismatch, unit conversion, missing connector.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/engine/run.ts';
import { isGatewayError } from '../../src/errors.ts';
import { buildFixture, buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import { column, runLocalSystem } from '../helpers/systems.ts';

export const quarterCar = {
  components: { body: 'msl:Body', wheel: 'msl:Wheel' },
  connections: [
    ['body.f_susp', 'wheel.f_susp'],
    ['wheel.z_u', 'body.z_u'],
    ['wheel.v_u', 'body.v_u'],
  ] as [string, string][],
};

function maxDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const version of ['2.0', '3.0'] as const) {
  describe(`two-mass oscillator, FMI ${version}`, () => {
    let body = '';
    let wheel = '';
    let mono: ReturnType<typeof runSimulation>;
    before(async () => {
      body = await buildFixture('sys-body', version);
      wheel = await buildFixture('sys-wheel', version);
      const qc = openFixture(await buildLibraryModel('QuarterCar', version));
      mono = runSimulation(qc, {
        startTime: 0,
        stopTime: 3,
        outputInterval: 0.01,
        interface: 'ME',
        solver: 'rk45',
        tolerance: 1e-10,
        outputs: ['z_s', 'z_u', 'v_s'],
      });
    });

    it('the ME system matches the monolithic QuarterCar', () => {
      const r = runLocalSystem({
        fmus: { body, wheel },
        description: quarterCar,
        interface: 'ME',
        options: { startTime: 0, stopTime: 3, outputInterval: 0.01, solver: 'rk45', tolerance: 1e-10 },
      });
      assert.equal(r.rows, mono.rows);
      const zs = maxDiff(column(r, 'body.z_s'), column(mono, 'z_s'));
      const zu = maxDiff(column(r, 'wheel.z_u'), column(mono, 'z_u'));
      // The road step of 5 cm moves both masses by centimetres: 1e-7 m is far below any coupling error.
      assert.ok(zs < 1e-7 && zu < 1e-7, `z_s diff ${zs}, z_u diff ${zu}`);
      // Both settle at the road height (static check of the coupling).
      assert.ok(Math.abs(column(r, 'body.z_s')[r.rows - 1]! - 0.05) < 5e-3);
    });

    it('the CS system approaches the monolithic model at first order', () => {
      const errs = [0.002, 0.001].map((h) => {
        const r = runLocalSystem({
          fmus: { body, wheel },
          description: quarterCar,
          options: { startTime: 0, stopTime: 3, outputInterval: 0.01, startValues: {} },
          communicationStep: h,
        });
        return maxDiff(column(r, 'body.z_s'), column(mono, 'z_s'));
      });
      assert.ok(errs[0]! < 5e-3, `error ${errs[0]}`);
      const order = Math.log2(errs[0]! / errs[1]!);
      assert.ok(order > 0.8 && order < 1.3, `observed order ${order} (errors ${errs.join(', ')})`);
    });

    it('system inputs and outputs: the road height as a system input, the body position as a system output', () => {
      const r = runLocalSystem({
        fmus: { body, wheel },
        description: { ...quarterCar, inputs: { road: ['wheel.z_r'] }, outputs: { body_height: 'body.z_s' } },
        interface: 'ME',
        options: {
          startTime: 0,
          stopTime: 3,
          outputInterval: 0.01,
          solver: 'rk45',
          tolerance: 1e-10,
          inputSignals: [{ name: 'road', time: [0, 3], values: [0.05, 0.05], interpolation: 'hold' }],
          outputs: ['body_height'],
        },
      });
      assert.ok(maxDiff(column(r, 'body_height'), column(mono, 'z_s')) < 1e-7);
    });
  });
}

describe('system checks', () => {
  let gain = '';
  let decay = '';
  before(async () => {
    gain = await buildFixture('sys-gain', '2.0');
    decay = await buildFixture('sys-decay', '3.0');
  });

  it('refuses an algebraic loop of two direct-feedthrough gains, naming the cycle', () => {
    assert.throws(
      () =>
        runLocalSystem({
          fmus: { g1: gain, g2: gain },
          description: {
            components: { g1: 'msl:G', g2: 'msl:G' },
            connections: [
              ['g1.y', 'g2.u'],
              ['g2.y', 'g1.u'],
            ],
          },
          options: { startTime: 0, stopTime: 1, outputInterval: 0.1 },
        }),
      (e: unknown) => {
        assert.ok(isGatewayError(e) && e.code === 'ALGEBRAIC_LOOP', String(e));
        const cycle = e.data?.cycle as string[];
        assert.ok(cycle.includes('g1.y') && cycle.includes('g2.u') && cycle.includes('g2.y') && cycle.includes('g1.u'), cycle.join(' '));
        return true;
      },
    );
  });

  it('runs an open chain of the same gains (positive control: not every feedthrough is a loop)', () => {
    const r = runLocalSystem({
      fmus: { g1: gain, g2: gain },
      description: { components: { g1: 'msl:G', g2: 'msl:G' }, connections: [['g1.y', 'g2.u']] },
      options: { startTime: 0, stopTime: 1, outputInterval: 0.1, outputs: ['g2.y'] },
    });
    // y1 = 0.5·0 + 1 = 1, y2 = 0.5·1 + 1 = 1.5
    assert.equal(column(r, 'g2.y')[5], 1.5);
  });

  it('refuses a connector type mismatch (Int32 output to Float64 input)', () => {
    assert.throws(
      () =>
        runLocalSystem({
          fmus: { a: decay, b: decay },
          description: { components: { a: 'msl:A', b: 'msl:B' }, connections: [['a.n', 'b.u']] },
          options: { startTime: 0, stopTime: 1, outputInterval: 0.1 },
        }),
      (e: unknown) => isGatewayError(e) && e.code === 'SYSTEM_INVALID' && e.data?.reason === 'type_mismatch',
    );
  });

  it('refuses a connector that does not exist and an input driven twice', () => {
    const run = (connections: [string, string][]) => () =>
      runLocalSystem({
        fmus: { a: decay, b: decay },
        description: { components: { a: 'msl:A', b: 'msl:B' }, connections },
        options: { startTime: 0, stopTime: 1, outputInterval: 0.1 },
      });
    assert.throws(run([['a.nope', 'b.u']]), (e: unknown) => isGatewayError(e) && e.data?.reason === 'missing_variable');
    assert.throws(run([['a.u', 'b.u']]), (e: unknown) => isGatewayError(e) && e.data?.reason === 'causality');
    assert.throws(
      run([
        ['a.x', 'b.u'],
        ['b.x', 'b.u'],
      ]),
      (e: unknown) => isGatewayError(e) && e.data?.reason === 'input_connected_twice',
    );
  });

  it('converts a unit with a known conversion (mm → m) and warns', () => {
    const r = runLocalSystem({
      fmus: { a: decay, b: decay },
      description: { components: { a: 'msl:A', b: 'msl:B' }, connections: [['a.x_mm', 'b.u']], start_values: { 'b.x': 0 } },
      interface: 'ME',
      options: {
        startTime: 0,
        stopTime: 1,
        outputInterval: 0.1,
        solver: 'rk45',
        tolerance: 1e-10,
        startValues: { 'b.x': 0 },
        outputs: ['b.x', 'b.u', 'a.x'],
      },
    });
    assert.ok(
      r.planWarnings.some((w) => w.includes('"mm" converted to "m"')),
      r.planWarnings.join('; '),
    );
    assert.ok(Math.abs(column(r, 'b.u')[10]! - column(r, 'a.x')[10]!) < 1e-12);
    assert.ok(Math.abs(column(r, 'b.x')[10]! - Math.exp(-1)) < 1e-7);
  });
});
