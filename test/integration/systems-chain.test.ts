/**
 * (a) The chain x1' = -k x1, x2' = -k x2 + x1 split into two FMUs (test/fixtures/sys-decay):
 * x2(t) = t e^{-t} for x1(0) = 1, x2(0) = 0, k = 1. As one ME system (our solvers, one state
 * vector) the error is ≤ 1e-6 at rtol 1e-8; as a CS system the coupling error is first order in
 * the communication step (observed order ≈ 1 as the step halves).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixture } from '../helpers/fixtures.ts';
import { column, runLocalSystem } from '../helpers/systems.ts';

const chain = {
  components: { a: 'msl:A', b: 'msl:B' },
  connections: [['a.x', 'b.u']] as [string, string][],
  start_values: { 'a.x': 1, 'b.x': 0 },
};
const exact = (t: number): number => t * Math.exp(-t);

for (const version of ['2.0', '3.0'] as const) {
  describe(`chain of two FMI ${version} FMUs`, () => {
    let fmu = '';
    before(async () => {
      fmu = await buildFixture('sys-decay', version);
    });

    for (const solver of ['rk45', 'bdf', 'cvode'] as const) {
      it(`ME system with ${solver} matches t·e^-t within 1e-6 at rtol 1e-8`, () => {
        const r = runLocalSystem({
          fmus: { a: fmu, b: fmu },
          description: chain,
          interface: 'ME',
          options: {
            startTime: 0,
            stopTime: 5,
            outputInterval: 0.05,
            solver,
            tolerance: 1e-8,
            startValues: chain.start_values,
            outputs: ['a.x', 'b.x', 'b.u'],
          },
        });
        assert.equal(r.interface, 'ME');
        const x2 = column(r, 'b.x');
        const u = column(r, 'b.u');
        const x1 = column(r, 'a.x');
        let worst = 0;
        for (let i = 0; i < r.rows; i++) worst = Math.max(worst, Math.abs((x2[i] as number) - exact(r.time[i] as number)));
        assert.ok(worst <= 1e-6, `max error ${worst}`);
        // The connection is evaluated: the recorded input equals the source output at every row.
        for (let i = 0; i < r.rows; i++) assert.equal(u[i], x1[i]);
        assert.ok(Math.abs((x2[20] as number) - exact(1)) < 1e-6);
      });
    }

    it('ME system with euler converges at first order in the fixed step', () => {
      const err = (h: number): number => {
        const r = runLocalSystem({
          fmus: { a: fmu, b: fmu },
          description: chain,
          interface: 'ME',
          options: { startTime: 0, stopTime: 1, outputInterval: 0.1, solver: 'euler', fixedStep: h, startValues: chain.start_values },
        });
        const x2 = column(r, 'b.x');
        return Math.abs((x2[r.rows - 1] as number) - exact(1));
      };
      const e1 = err(0.01);
      const e2 = err(0.005);
      assert.ok(Math.abs(Math.log2(e1 / e2) - 1) < 0.15, `order ${Math.log2(e1 / e2)}`);
    });

    for (const master of ['gauss-seidel', 'jacobi'] as const) {
      it(`CS system (${master}) converges at first order as the step halves`, () => {
        const errs = [0.02, 0.01, 0.005].map((h) => {
          const r = runLocalSystem({
            fmus: { a: fmu, b: fmu },
            description: chain,
            master,
            options: { startTime: 0, stopTime: 1, outputInterval: h, startValues: chain.start_values },
          });
          assert.equal(r.interface, 'CS');
          const x2 = column(r, 'b.x');
          return Math.abs((x2[r.rows - 1] as number) - exact(1));
        });
        const orders = [Math.log2(errs[0]! / errs[1]!), Math.log2(errs[1]! / errs[2]!)];
        for (const p of orders) assert.ok(Math.abs(p - 1) < 0.1, `observed orders ${orders.join(', ')} (errors ${errs.join(', ')})`);
        assert.ok(errs[2]! < 0.01 && errs[2]! > 1e-6, `error ${errs[2]} is O(step)`);
      });
    }

    it('a macro step below the output interval gives the same first-order error as that output step', () => {
      const run = (opts: { outputInterval: number; communicationStep?: number }) =>
        runLocalSystem({
          fmus: { a: fmu, b: fmu },
          description: chain,
          ...(opts.communicationStep !== undefined ? { communicationStep: opts.communicationStep } : {}),
          options: { startTime: 0, stopTime: 1, outputInterval: opts.outputInterval, startValues: chain.start_values },
        });
      const coarse = run({ outputInterval: 0.1, communicationStep: 0.01 });
      const fine = run({ outputInterval: 0.01 });
      assert.equal(coarse.rows, 11);
      assert.ok(Math.abs(column(coarse, 'b.x')[10]! - column(fine, 'b.x')[100]!) < 1e-12);
    });
  });
}
