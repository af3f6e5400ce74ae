/**
 * Host cost per Model Exchange step, beside the same Euler loop written in C.
 *
 * Model: the library's Dahlquist FMU (FMI 2.0, one state, no event indicators), so the
 * model's own arithmetic is negligible and what is measured is the host loop: koffi calls,
 * solver bookkeeping and the driver's checks. The C baseline (bench/c/me_euler_loop.c)
 * dlopens the same shared library and makes the same calls per step.
 * Target: an Euler step ≤ 200 ns above the C loop's (issue 24), with the same final state to the bit.
 *
 *   node --import tsx bench/me-step.ts            (npm run bench -- me-step)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateModelExchange } from '../src/engine/model-exchange.ts';
import type { SimulationOptions } from '../src/engine/types.ts';
import { loadFmiLibrary } from '../src/fmi/load.ts';
import { findBinary } from '../src/fmi/platform.ts';
import { nativeStepper } from '../src/fmi/stepper.ts';
import { buildLibraryModel, openFixture, ROOT } from '../test/helpers/fixtures.ts';
import { buildStepper } from '../tools/build-stepper.ts';

const EULER_STEPS = 1_000_000;
const EULER_H = 1e-6;
const RK45_STEPS = 200_000;
const ROUNDS = 3;

function compileBaseline(): string {
  const src = join(ROOT, 'bench', 'c', 'me_euler_loop.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(ROOT, 'build', 'bench');
  const exe = join(dir, `me_euler_loop-${hash}`);
  if (!existsSync(exe)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-O2', '-o', exe, src, '-ldl'], { stdio: 'inherit' });
  }
  return exe;
}

const fmuPath = await buildLibraryModel('Dahlquist', '2.0');
const fmu = openFixture(fmuPath);
const md = fmu.modelDescription;
const binary = findBinary(fmu.unpackedDir, md, 'ME');

/** One ME run in-process; returns ns per solver step (whole driver, init included: negligible). */
function runGateway(options: SimulationOptions): { nsPerStep: number; steps: number; x: number } {
  const lib = loadFmiLibrary(fmu, 'ME');
  const instance = lib.instantiate({ interface: 'ME' });
  try {
    const r = simulateModelExchange(instance, options);
    const x = r.columns.find((c) => c.name === 'x')?.values as Float64Array;
    return { nsPerStep: (r.stats.wallMs * 1e6) / r.stats.steps, steps: r.stats.steps, x: x[r.rows - 1] ?? NaN };
  } finally {
    instance.free();
    lib.unload();
  }
}

function best<T extends { nsPerStep: number }>(f: () => T): T {
  let top: T | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const r = f();
    if (!top || r.nsPerStep < top.nsPerStep) top = r;
  }
  return top as T;
}

const exe = compileBaseline();
const c = best(() => {
  const out = execFileSync(
    exe,
    [
      binary,
      md.guid,
      String(md.number_of_continuous_states),
      String(md.number_of_event_indicators),
      String(EULER_STEPS),
      String(EULER_H),
      md.model_exchange?.completed_integrator_step_not_needed === true ? '0' : '1',
    ],
    { encoding: 'utf8' },
  );
  const j = JSON.parse(out) as { ns_per_step: number; x0: number };
  return { nsPerStep: j.ns_per_step, x: j.x0 };
});

const euler = (): SimulationOptions => ({
  startTime: 0,
  stopTime: EULER_STEPS * EULER_H,
  outputInterval: (EULER_STEPS * EULER_H) / 10,
  solver: 'euler',
  fixedStep: EULER_H,
});
runGateway({ ...euler(), stopTime: 0.05, outputInterval: 0.01 }); // warm up the JIT
// Call by call through koffi (the path without the native stepper), then with it.
process.env.FMU_GATEWAY_NATIVE_STEPPER = '0';
runGateway({ ...euler(), stopTime: 0.05, outputInterval: 0.01 });
const eKoffi = best(() => runGateway(euler()));
delete process.env.FMU_GATEWAY_NATIVE_STEPPER;
const native = buildStepper() !== undefined && nativeStepper() !== undefined;
const e = best(() => runGateway(euler()));
// rk45 with maxStep forcing RK45_STEPS steps over 20 s (6 derivative calls per step, FSAL).
const rk = best(() =>
  runGateway({ startTime: 0, stopTime: 20, outputInterval: 1, solver: 'rk45', maxStep: 20 / RK45_STEPS, tolerance: 1e-6 }),
);

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`ME step cost on Dahlquist (FMI 2.0, ${md.number_of_continuous_states} state), best of ${ROUNDS}:`);
console.log(`${pad('loop', 34)}${pad('ns/step', 12)}steps`);
console.log(`${pad('C baseline (euler, dlopen)', 34)}${pad(c.nsPerStep.toFixed(1), 12)}${EULER_STEPS}`);
console.log(`${pad('gateway euler, koffi call by call', 34)}${pad(eKoffi.nsPerStep.toFixed(1), 12)}${eKoffi.steps}`);
console.log(
  `${pad(`gateway euler, ${native ? 'native stepper' : 'no native stepper (not built)'}`, 34)}${pad(e.nsPerStep.toFixed(1), 12)}${e.steps}`,
);
console.log(`${pad('gateway rk45 (6 derivative calls)', 34)}${pad(rk.nsPerStep.toFixed(1), 12)}${rk.steps}`);
const over = e.nsPerStep - c.nsPerStep;
console.log(`euler overhead vs C: ${over.toFixed(1)} ns/step (target ≤ 200) ${over <= 200 ? 'OK' : 'ABOVE TARGET'}`);
// Same arithmetic on both sides: the final states must agree (a wrong loop would not).
const exact = (1 - EULER_H) ** EULER_STEPS;
// Textbook Euler on both sides: the same operations in the same order, so the same double.
if (Math.abs(e.x - exact) > 1e-9 || Math.abs(c.x - exact) > 1e-9 || e.x !== c.x || eKoffi.x !== c.x) {
  console.error(`final states disagree: gateway ${e.x}, C ${c.x}, (1-h)^N ${exact}`);
  process.exitCode = 1;
}
