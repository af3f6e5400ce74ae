/**
 * Host cost per Co-Simulation step: the gateway's loop (doStep + reading the outputs +
 * recording, through koffi) against the same loop in C (bench/c/cosim_loop.c, dlopen),
 * over the same trivial FMU (test/fixtures/raw-fmi2: doStep adds h to time). Target: the
 * gateway within 250 ns/step of C. Best of RUNS runs each; STEPS steps per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSimulation } from '../src/engine/run.ts';
import { findBinary } from '../src/fmi/platform.ts';
import { nativeStepper } from '../src/fmi/stepper.ts';
import { buildFixture, openFixture, ROOT } from '../test/helpers/fixtures.ts';
import { buildStepper } from '../tools/build-stepper.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 1_000_000);
const RUNS = 3;
const H = 1 / STEPS;

const fmu = openFixture(await buildFixture('raw-fmi2', '2.0', { raw: true }));
const binary = findBinary(fmu.unpackedDir, fmu.modelDescription, 'CS');

const outDir = join(ROOT, 'build', 'bench');
mkdirSync(outDir, { recursive: true });
const exe = join(outDir, 'cosim_loop');
execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'c', 'cosim_loop.c'), '-ldl'], { stdio: 'inherit' });

function cLoop(): number {
  const out = execFileSync(
    exe,
    [binary, fmu.modelDescription.guid, pathToFileURL(join(fmu.unpackedDir, 'resources')).href, String(STEPS), String(H)],
    { encoding: 'utf8' },
  );
  const m = /ns_per_step ([\d.]+)/.exec(out);
  if (!m?.[1]) throw new Error(`unexpected output of cosim_loop: ${out}`);
  return Number(m[1]);
}

function gatewayLoop(): number {
  const r = runSimulation(fmu, { startTime: 0, stopTime: 1, outputInterval: H, outputs: ['y', 'n'] });
  if (r.rows !== STEPS + 1 || r.terminatedEarly) throw new Error('unexpected result');
  const n = r.columns.find((c) => c.name === 'n')?.values;
  if (!(n instanceof Float64Array) || n[STEPS] !== STEPS) throw new Error('the FMU did not take every step');
  // wallMs covers the whole CS driver (init, allocation of the columns, the loop, terminate).
  return (r.stats.wallMs * 1e6) / STEPS;
}

// Call by call through koffi (the path without the native stepper), then with it.
process.env.FMU_GATEWAY_NATIVE_STEPPER = '0';
gatewayLoop(); // warm-up (JIT)
const c = Math.min(...Array.from({ length: RUNS }, cLoop));
const tsKoffi = Math.min(...Array.from({ length: RUNS }, gatewayLoop));
delete process.env.FMU_GATEWAY_NATIVE_STEPPER;
const native = buildStepper() !== undefined && nativeStepper() !== undefined;
gatewayLoop();
const ts = Math.min(...Array.from({ length: RUNS }, gatewayLoop));
const diff = ts - c;
console.log(`cosim step (${STEPS} steps, best of ${RUNS}): doStep + one read of the 2 outputs + record`);
console.log(`  C loop (dlopen)               ${c.toFixed(1).padStart(8)} ns/step`);
console.log(`  gateway, koffi call by call   ${tsKoffi.toFixed(1).padStart(8)} ns/step  (${(tsKoffi - c).toFixed(1)} above C)`);
console.log(`  gateway, ${native ? 'native stepper       ' : 'no stepper (not built)'}${ts.toFixed(1).padStart(8)} ns/step`);
console.log(`  difference            ${diff.toFixed(1).padStart(8)} ns/step  (target <= 250) ${diff <= 250 ? 'OK' : 'OVER'}`);
