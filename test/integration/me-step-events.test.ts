/**
 * Step events: a model asks for event mode from completedIntegratorStep (test/fixtures/quantizer:
 * x' = -k·x with level = floor(x/q) updated only at those events). The ME driver must enter event
 * mode, run the event iteration, re-initialise the solver and keep the continuous solution exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import type { SimulationResult } from '../../src/engine/types.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';
import { column, eventRowIndices } from './me-support.ts';

const K = 0.5;
const Q = 0.1;
const STOP = 10;
// x falls from 1 to exp(-5) ≈ 0.0067: floor(x/q) goes 10 → 0, ten switches.
const EXPECTED_SWITCHES = Math.floor(1 / Q) - Math.floor(Math.exp(-K * STOP) / Q);

async function run(fmiVersion: '2.0' | '3.0', iface: 'ME' | 'CS', solver?: 'rk45' | 'bdf' | 'euler'): Promise<SimulationResult> {
  const fmu = openFixture(await buildFixture('quantizer', fmiVersion));
  return runSimulation(fmu, {
    startTime: 0,
    stopTime: STOP,
    outputInterval: 0.1,
    interface: iface,
    tolerance: 1e-8,
    ...(solver ? { solver, fixedStep: 1e-4 } : {}),
  });
}

for (const fmiVersion of ['2.0', '3.0'] as const) {
  describe(`FMI ${fmiVersion} step events`, () => {
    for (const solver of ['rk45', 'bdf'] as const) {
      it(`${solver}: every level change is an event and x stays on the closed form`, async () => {
        const r = await run(fmiVersion, 'ME', solver);
        const x = column(r, 'x');
        const level = column(r, 'level');
        const switches = column(r, 'switches');
        assert.equal(switches[r.rows - 1], EXPECTED_SWITCHES);
        assert.equal(r.stats.events, EXPECTED_SWITCHES, 'one event per level change, none spurious');
        assert.ok(eventRowIndices(r).length >= 2 * EXPECTED_SWITCHES, 'rows before and after each event');
        let worst = 0;
        for (let i = 0; i < r.rows; i++) {
          const exact = Math.exp(-K * (r.time[i] as number));
          worst = Math.max(worst, Math.abs((x[i] as number) - exact) / exact);
          // Between events the level may lag by at most the one integrator step that crossed.
          assert.ok(Math.abs((level[i] as number) - Math.floor((x[i] as number) / Q)) <= 1, `row ${i}`);
        }
        assert.ok(worst < 1e-5, `worst relative error of x: ${worst}`);
        // After each event the level matches x exactly (the event updated it).
        for (const i of eventRowIndices(r)) {
          if (i > 0 && r.time[i] === r.time[i - 1])
            assert.equal(level[i], Math.floor((x[i] as number) / Q), `after the event at t=${r.time[i]}`);
        }
      });
    }

    it('Co-Simulation handles the same step events inside doStep', async () => {
      const r = await run(fmiVersion, 'CS');
      assert.equal(column(r, 'switches')[r.rows - 1], EXPECTED_SWITCHES);
      assert.equal(column(r, 'level')[r.rows - 1], Math.floor(Math.exp(-K * STOP) / Q));
    });
  });
}
