/**
 * Stiff Model Exchange: the built-in bdf beside SUNDIALS CVODE (solver "cvode", when installed)
 * on the library's VanDerPol with mu = 1000 over 1000 s (a relaxation oscillation), same
 * tolerance and output grid. Prints wall time, solver steps and µs per step for each, the ratio,
 * and the heap growth of the cvode run (its RHS trampoline is meant to allocate nothing per call).
 *
 *   node --import tsx bench/me-stiff.ts            (npm run bench -- stiff)
 */
import { simulateModelExchange } from '../src/engine/model-exchange.ts';
import { cvodeAvailable } from '../src/engine/solvers/cvode.ts';
import type { SimulationOptions, SimulationResult } from '../src/engine/types.ts';
import { loadFmiLibrary } from '../src/fmi/load.ts';
import { buildLibraryModel, openFixture } from '../test/helpers/fixtures.ts';

const ROUNDS = 3;
const fmu = openFixture(await buildLibraryModel('VanDerPol', '2.0'));
const options = (solver: 'bdf' | 'cvode'): SimulationOptions => ({
  startTime: 0,
  stopTime: 1000,
  outputInterval: 0.5,
  maxStep: 50,
  tolerance: 1e-6,
  solver,
  startValues: { mu: 1000 },
});

function run(solver: 'bdf' | 'cvode'): SimulationResult {
  const lib = loadFmiLibrary(fmu, 'ME');
  const instance = lib.instantiate({ interface: 'ME' });
  try {
    return simulateModelExchange(instance, options(solver));
  } finally {
    instance.free();
    lib.unload();
  }
}

function best(solver: 'bdf' | 'cvode'): SimulationResult {
  run(solver); // warm up
  let top: SimulationResult | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const r = run(solver);
    if (!top || r.stats.wallMs < top.stats.wallMs) top = r;
  }
  return top as SimulationResult;
}

const pad = (s: string, n: number): string => s.padEnd(n);
const line = (label: string, r: SimulationResult): void =>
  console.log(
    `${pad(label, 10)}${pad(r.stats.wallMs.toFixed(1), 10)}${pad(String(r.stats.steps), 8)}${((r.stats.wallMs * 1000) / r.stats.steps).toFixed(2)}`,
  );
console.log(`VanDerPol mu = 1000, ME, 0..1000 s, rtol 1e-6 (best of ${ROUNDS}):`);
console.log(`${pad('solver', 10)}${pad('wall ms', 10)}${pad('steps', 8)}us/step`);
const bdf = best('bdf');
line('bdf', bdf);
if (!cvodeAvailable()) {
  console.log('cvode     not installed (apt-get install libsundials-cvode6); skipped');
} else {
  const cv = best('cvode');
  line('cvode', cv);
  console.log(`cvode / bdf wall time: ${(cv.stats.wallMs / bdf.stats.wallMs).toFixed(2)}`);
  const x = (r: SimulationResult): number => (r.columns.find((c) => c.name === 'x0')?.values as Float64Array)[r.rows - 1] ?? NaN;
  console.log(`final x0: bdf ${x(bdf).toFixed(6)}, cvode ${x(cv).toFixed(6)}`);
  // Heap growth over one more cvode run after warm-up (GC first, so only what the run keeps shows).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    const before = process.memoryUsage().heapUsed;
    run('cvode');
    gc();
    console.log(`heap kept by a cvode run: ${((process.memoryUsage().heapUsed - before) / 1024).toFixed(0)} KiB`);
  }
}
