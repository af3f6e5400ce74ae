/**
 * The native stepping helper (src/fmi/native/stepper.c via src/fmi/stepper.ts) takes chunks of plain
 * Co-Simulation steps and explicit-Euler Model Exchange steps in C. It must change nothing but the
 * time: every run here is made twice, call by call through koffi (FMU_GATEWAY_NATIVE_STEPPER=0) and
 * with the helper, and the results must be identical to the bit — rows, times, values, step and
 * event counts, warnings, early ends — including runs where the helper has to hand over mid-chunk
 * (state and step events, terminateSimulation, output points inside a step, the step limit).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import { nativeStepper, stepperUse } from '../../src/fmi/stepper.ts';
import { findCCompiler } from '../../tools/fmu-builder.ts';
import { buildStepper } from '../../tools/build-stepper.ts';
import { buildFixture, buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import { prerequisite } from '../helpers/prereq.ts';

const skip = prerequisite('C compiler', findCCompiler() === undefined ? 'no cc/gcc on PATH' : undefined);
type Fmu = ReturnType<typeof openFixture>;

function withHelper<T>(on: boolean, f: () => T): T {
  const saved = process.env.FMU_GATEWAY_NATIVE_STEPPER;
  if (on) delete process.env.FMU_GATEWAY_NATIVE_STEPPER;
  else process.env.FMU_GATEWAY_NATIVE_STEPPER = '0';
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.FMU_GATEWAY_NATIVE_STEPPER;
    else process.env.FMU_GATEWAY_NATIVE_STEPPER = saved;
  }
}

/**
 * Runs both ways; returns both after asserting they are the same result. `chunks`: whether the
 * helper must have run (positive control), or not (outputs or a solver it does not take).
 */
function both(fmu: Fmu, options: SimulationOptions, chunks = true): { koffi: SimulationResult; native: SimulationResult } {
  const progressK: number[] = [];
  const progressN: number[] = [];
  const c0 = stepperUse.chunks;
  const koffi = withHelper(false, () => runSimulation(fmu, { ...options, onProgress: (f) => progressK.push(f), progressIntervalMs: 0 }));
  assert.equal(stepperUse.chunks, c0, 'switched off, the helper does not run');
  const native = withHelper(true, () => runSimulation(fmu, { ...options, onProgress: (f) => progressN.push(f), progressIntervalMs: 0 }));
  assert.equal(stepperUse.chunks > c0, chunks, chunks ? 'the helper ran' : 'the helper did not run');
  assert.equal(native.rows, koffi.rows, 'rows');
  assert.deepEqual(native.time, koffi.time, 'times, to the bit');
  assert.deepEqual(
    native.columns.map((c) => c.name),
    koffi.columns.map((c) => c.name),
  );
  for (let c = 0; c < koffi.columns.length; c++)
    assert.deepEqual(native.columns[c]!.values, koffi.columns[c]!.values, `column ${koffi.columns[c]!.name}, to the bit`);
  assert.deepEqual(native.eventRows, koffi.eventRows, 'event rows');
  assert.equal(native.stats.steps, koffi.stats.steps, 'steps');
  assert.equal(native.stats.events, koffi.stats.events, 'events');
  assert.deepEqual(native.terminatedEarly, koffi.terminatedEarly, 'early end');
  assert.deepEqual(native.warnings, koffi.warnings, 'warnings');
  // Progress is reported on both paths, never backwards, ending at 1 unless the run ended early.
  for (const p of [progressK, progressN]) {
    assert.ok(p.length > 0);
    for (let i = 1; i < p.length; i++) assert.ok(p[i]! >= p[i - 1]!, 'progress never goes back');
    if (koffi.terminatedEarly === undefined) assert.equal(p.at(-1), 1);
  }
  return { koffi, native };
}

describe('native stepping helper: the same results as stepping through koffi', { skip, timeout: 300_000 }, () => {
  let vdp: Fmu;
  let dahlquist: Fmu;
  let ball: Fmu;
  before(async () => {
    assert.ok(buildStepper() !== undefined, 'the helper builds');
    vdp = openFixture(await buildLibraryModel('VanDerPol', '3.0'));
    dahlquist = openFixture(await buildLibraryModel('Dahlquist', '3.0'));
    ball = openFixture(await buildLibraryModel('BouncingBall', '3.0'));
  });
  after(() => delete process.env.FMU_GATEWAY_NATIVE_STEPPER);

  it('is loaded and offers chunks for FMI 3 and FMI 2, CS and ME (positive control), and none when switched off', async () => {
    assert.ok(nativeStepper() !== undefined);
    const vdp2 = openFixture(await buildLibraryModel('VanDerPol', '2.0'));
    for (const [fmu, iface] of [
      [vdp, 'CS'],
      [vdp, 'ME'],
      [vdp2, 'CS'],
      [vdp2, 'ME'],
    ] as const) {
      const lib = loadFmiLibrary(fmu, iface);
      const inst = lib.instantiate({ interface: iface });
      try {
        const groups = [{ type: 'Float64' as const, vrs: Uint32Array.of(1, 3), nValues: 2 }];
        const prepare = (): unknown =>
          iface === 'CS'
            ? inst.prepareCsChunk?.(groups)
            : inst.prepareEulerChunk?.({ nx: 2, nValues: 2, groups, completedIntegratorStep: true });
        const chunk = prepare();
        assert.ok(chunk !== undefined, `${iface} chunk`);
        withHelper(false, () => assert.equal(prepare(), undefined));
      } finally {
        inst.free();
        lib.unload();
      }
    }
  });

  it('Co-Simulation: VanDerPol and Dahlquist over 20 000 steps (several chunks and a partial one)', () => {
    both(vdp, { startTime: 0, stopTime: 20.0005, outputInterval: 0.001, outputs: ['x0', 'x1'], interface: 'CS' });
    both(dahlquist, { startTime: 0, stopTime: 20, outputInterval: 0.001, outputs: ['x'], interface: 'CS', startValues: { k: 0.5 } });
  });

  it('Co-Simulation without outputs, and with Float64, Int32 and Boolean outputs (one get per type)', async () => {
    both(vdp, { startTime: 0, stopTime: 2, outputInterval: 0.001, outputs: [], interface: 'CS' });
    const { native } = both(ball, { startTime: 0, stopTime: 3, outputInterval: 0.001, interface: 'CS' });
    const bounces = native.columns.find((c) => c.name === 'bounces')!.values as Float64Array;
    assert.ok(bounces[native.rows - 1]! > 0, 'integer outputs recorded: the ball bounced');
    const raw = openFixture(await buildFixture('raw-fmi2', '2.0', { raw: true }));
    const r = both(raw, { startTime: 0, stopTime: 1, outputInterval: 1e-4, outputs: ['y', 'n'], interface: 'CS' });
    assert.equal((r.native.columns[1]!.values as Float64Array)[10_000], 10_000, 'FMI 2 Integer output: the step count');
  });

  it('Co-Simulation that terminates mid-chunk (terminateSimulation) ends at the same time with the same rows', async () => {
    const lag = openFixture(await buildFixture('lag', '3.0'));
    // Asks to terminate at 0.6005, inside a step (lastSuccessfulTime) and inside the third chunk.
    const options = { startTime: 0, stopTime: 1, outputInterval: 0.001, outputs: ['y'], interface: 'CS' as const };
    const { native } = both(lag, { ...options, startValues: { stop_at: 0.6005, u: 1 } });
    assert.ok(native.terminatedEarly, 'the fixture asks to terminate');
    assert.ok(Math.abs(native.terminatedEarly.time - 0.6005) < 1e-9, `ended at ${native.terminatedEarly.time}`);
    assert.ok(Math.abs(native.time[native.rows - 1]! - 0.6005) < 1e-9, 'the last row is the early end');
  });

  it('Model Exchange explicit Euler: outputs from the state vector and through a get', () => {
    both(vdp, { startTime: 0, stopTime: 50, outputInterval: 0.01, outputs: ['x0', 'x1'], interface: 'ME', solver: 'euler' });
    both(vdp, { startTime: 0, stopTime: 50, outputInterval: 0.01, outputs: ['x0', 'der(x0)', 'mu'], interface: 'ME', solver: 'euler' });
    both(dahlquist, {
      startTime: 0,
      stopTime: 10,
      outputInterval: 0.001,
      outputs: ['x'],
      interface: 'ME',
      solver: 'euler',
      startValues: { k: 0.5 },
    });
  });

  it('Model Exchange explicit Euler with rows between solver steps, a step finer than the rows, and a stop off the grid', () => {
    both(vdp, {
      startTime: 0,
      stopTime: 5,
      outputInterval: 0.01,
      fixedStep: 0.03,
      outputs: ['x0', 'x1'],
      interface: 'ME',
      solver: 'euler',
    });
    both(vdp, {
      startTime: 0,
      stopTime: 5,
      outputInterval: 0.1,
      fixedStep: 0.001,
      outputs: ['x0', 'x1'],
      interface: 'ME',
      solver: 'euler',
    });
    both(vdp, { startTime: 0.5, stopTime: 7.3333, outputInterval: 0.01, outputs: ['x0'], interface: 'ME', solver: 'euler' });
  });

  it('Model Exchange explicit Euler across events: state events (event indicators: call by call) and step events (handed over mid-chunk)', async () => {
    const { native } = both(ball, { startTime: 0, stopTime: 3, outputInterval: 0.01, interface: 'ME', solver: 'euler' }, false);
    assert.ok(native.stats.events > 0, 'the ball bounces');
    const quantizer = openFixture(await buildFixture('quantizer', '3.0'));
    // Default outputs x (Float64), level and switches (Int32): one get per type each row.
    both(quantizer, { startTime: 0, stopTime: 10, outputInterval: 0.1, interface: 'ME', solver: 'euler', fixedStep: 1e-4 });
    const q = both(quantizer, {
      startTime: 0,
      stopTime: 10,
      outputInterval: 0.1,
      outputs: ['x'],
      interface: 'ME',
      solver: 'euler',
      fixedStep: 1e-4,
    });
    assert.ok(q.native.stats.events > 0, 'completedIntegratorStep asks for events');
  });

  it('FMI 2.0: Co-Simulation and Model Exchange explicit Euler, the same results both ways', async () => {
    const vdp2 = openFixture(await buildLibraryModel('VanDerPol', '2.0'));
    both(vdp2, { startTime: 0, stopTime: 20.0005, outputInterval: 0.001, outputs: ['x0', 'x1'], interface: 'CS' });
    both(vdp2, { startTime: 0, stopTime: 50, outputInterval: 0.01, outputs: ['x0', 'x1'], interface: 'ME', solver: 'euler' });
    both(vdp2, { startTime: 0, stopTime: 50, outputInterval: 0.01, outputs: ['der(x0)', 'x1'], interface: 'ME', solver: 'euler' });
    const quantizer = openFixture(await buildFixture('quantizer', '2.0'));
    both(quantizer, { startTime: 0, stopTime: 10, outputInterval: 0.1, interface: 'ME', solver: 'euler', fixedStep: 1e-4 });
    const q = both(quantizer, {
      startTime: 0,
      stopTime: 10,
      outputInterval: 0.1,
      outputs: ['x'],
      interface: 'ME',
      solver: 'euler',
      fixedStep: 1e-4,
    });
    assert.ok(q.native.stats.events > 0, 'completedIntegratorStep asks for events');
    const lag = openFixture(await buildFixture('lag', '2.0'));
    const options = { startTime: 0, stopTime: 1, outputInterval: 0.001, outputs: ['y'], interface: 'CS' as const };
    const l = both(lag, { ...options, startValues: { stop_at: 0.6005, u: 1 } });
    assert.ok(l.native.terminatedEarly, 'the fixture asks to terminate');
  });

  it('Model Exchange explicit Euler stops at the step limit the same way', () => {
    const opts: SimulationOptions = { startTime: 0, stopTime: 10, outputInterval: 0.01, interface: 'ME', solver: 'euler', maxSteps: 700 };
    const errK = withHelper(false, () => captureError(() => runSimulation(vdp, opts)));
    const errN = withHelper(true, () => captureError(() => runSimulation(vdp, opts)));
    assert.equal(errN.code, 'STEP_LIMIT_EXCEEDED');
    assert.equal(errN.message, errK.message);
  });
});

function captureError(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  assert.fail('expected an error');
}
