/**
 * Per-step overhead of a connected Co-Simulation system: the chain of two SysDecay FMUs
 * (test/fixtures/sys-decay, a.x → b.u, Gauss–Seidel master) against the same two FMUs stepped
 * alone (two separate runs, their times added), same communication step, same recorded
 * outputs (x of each). The difference is what the system costs per macro step: the connection
 * (one get + one set through koffi), the master's bookkeeping and the routing of the recorded
 * outputs through the SystemInstance. Best of RUNS runs; STEPS macro steps per run.
 */
import { runSimulation } from '../src/engine/run.ts';
import { buildFixture, openFixture } from '../test/helpers/fixtures.ts';
import { runLocalSystem } from '../test/helpers/systems.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 200_000);
const RUNS = 3;
const H = 1 / STEPS;

const path = await buildFixture('sys-decay', '2.0');
const fmu = openFixture(path);

function alone(): number {
  const a = runSimulation(fmu, { startTime: 0, stopTime: 1, outputInterval: H, outputs: ['x'] });
  const b = runSimulation(fmu, { startTime: 0, stopTime: 1, outputInterval: H, outputs: ['x'], startValues: { x: 0 } });
  if (a.rows !== STEPS + 1 || b.rows !== STEPS + 1) throw new Error('unexpected result');
  return ((a.stats.wallMs + b.stats.wallMs) * 1e6) / STEPS;
}

function system(): number {
  const r = runLocalSystem({
    fmus: { a: path, b: path },
    description: { components: { a: 'msl:A', b: 'msl:B' }, connections: [['a.x', 'b.u']] },
    options: { startTime: 0, stopTime: 1, outputInterval: H, outputs: ['a.x', 'b.x'], startValues: { 'b.x': 0 } },
  });
  if (r.rows !== STEPS + 1) throw new Error('unexpected result');
  const x2 = r.columns.find((c) => c.name === 'b.x')?.values as Float64Array;
  // The chain's closed form at t = 1 (x2 = t e^-t), to first order in the step: the system really ran.
  if (Math.abs((x2[STEPS] as number) - Math.exp(-1)) > 1e-3) throw new Error(`b.x(1) = ${x2[STEPS]}`);
  return (r.stats.wallMs * 1e6) / STEPS;
}

alone();
system(); // warm-up (JIT)
const base = Math.min(...Array.from({ length: RUNS }, alone));
const sys = Math.min(...Array.from({ length: RUNS }, system));
console.log(`2-component CS system (${STEPS} macro steps, best of ${RUNS}): doStep of each FMU + 1 connection + record 2 outputs`);
console.log(`  two FMUs stepped alone  ${base.toFixed(1).padStart(8)} ns/step (sum of the two runs)`);
console.log(`  as one system           ${sys.toFixed(1).padStart(8)} ns/step`);
console.log(`  system overhead         ${(sys - base).toFixed(1).padStart(8)} ns/step`);
