/**
 * The per-step Model Exchange calls of both bindings, called directly on a real FMU
 * (BouncingBall: 2 states, 1 event indicator). They take koffi's fast path (plain
 * addresses, values copied through native scratch memory), with the generic call for
 * vectors longer than that scratch: both must carry values exactly, report the FMU's
 * errors by function name, and refuse to run after free().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FmiInstance } from '../../src/fmi/instance.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';

/** Instantiates BouncingBall for ME and brings it to Continuous-Time Mode. */
async function continuousTimeBall(v: '2.0' | '3.0'): Promise<{ inst: FmiInstance; close: () => void }> {
  const fmu = openFixture(await buildLibraryModel('BouncingBall', v));
  const lib = loadFmiLibrary(fmu, 'ME');
  const inst = lib.instantiate({ interface: 'ME' });
  inst.enterInitializationMode(0, undefined, undefined);
  inst.exitInitializationMode();
  while (inst.newDiscreteStates().discreteStatesNeedUpdate);
  inst.enterContinuousTimeMode();
  return {
    inst,
    close: () => {
      inst.free();
      lib.unload();
    },
  };
}

for (const v of ['2.0', '3.0'] as const) {
  const fn = (two: string, three: string): string => (v === '2.0' ? two : three);

  describe(`FMI ${v} Model Exchange calls`, () => {
    it('carries states, derivatives, indicators and step completion exactly', async () => {
      const { inst, close } = await continuousTimeBall(v);
      try {
        inst.setTime(0.125);
        inst.setContinuousStates(Float64Array.of(Math.PI, -1e-300));
        const x = new Float64Array(2);
        inst.getContinuousStates(x);
        assert.deepEqual([...x], [Math.PI, -1e-300]);
        const dx = new Float64Array(2);
        inst.getDerivatives(dx);
        assert.deepEqual([...dx], [-1e-300, -9.81]);
        const z = new Float64Array(1);
        inst.getEventIndicators(z);
        assert.deepEqual([...z], [Math.PI]);
        assert.deepEqual({ ...inst.completedIntegratorStep(true) }, { enterEventMode: false, terminateSimulation: false });
        assert.equal(inst.worstStatus, 'OK');
      } finally {
        close();
      }
    });

    it('names the function when the FMU rejects a vector length (scratch-sized and longer)', async () => {
      const { inst, close } = await continuousTimeBall(v);
      try {
        // Two indicators for a model with one: fits the native scratch (sized for the 2 states).
        assert.throws(
          () => inst.getEventIndicators(new Float64Array(2)),
          (e: { code: string; data: { function: string } }) => {
            assert.equal(e.code, 'FMI_CALL_FAILED');
            assert.equal(e.data.function, fn('fmi2GetEventIndicators', 'fmi3GetEventIndicators'));
            return true;
          },
        );
        // Three states: longer than the scratch, so the generic call.
        assert.throws(
          () => inst.setContinuousStates(new Float64Array(3)),
          (e: { code: string; data: { function: string } }) => {
            assert.equal(e.code, 'FMI_CALL_FAILED');
            assert.equal(e.data.function, fn('fmi2SetContinuousStates', 'fmi3SetContinuousStates'));
            return true;
          },
        );
      } finally {
        close();
      }
    });

    it('refuses every per-step call after free() instead of passing a dangling handle', async () => {
      const { inst, close } = await continuousTimeBall(v);
      close();
      const calls: [string, () => unknown][] = [
        ['setTime', () => inst.setTime(1)],
        ['setContinuousStates', () => inst.setContinuousStates(new Float64Array(2))],
        ['getDerivatives', () => inst.getDerivatives(new Float64Array(2))],
        ['getEventIndicators', () => inst.getEventIndicators(new Float64Array(1))],
        ['completedIntegratorStep', () => inst.completedIntegratorStep(true)],
      ];
      for (const [name, call] of calls) assert.throws(call, { code: 'INTERNAL' }, name);
    });
  });
}
