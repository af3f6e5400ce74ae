/**
 * Worker pool overhead and sweep scaling.
 *  1. Latency of a tiny simulation (decay model, 100 CS steps) in-process (runSimulation) vs
 *     through the warm, sandboxed pool (same FMU and caller: the worker is reused).
 *     Target: pool overhead ≤ 5 ms per job.
 *  2. Throughput of the same 40-run sweep (400 000 internal FMU steps per run) with 1 worker and 2 workers.
 *     Target: ≥ 1.8× on 2 cores.
 */
import { fileURLToPath } from 'node:url';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '../src/engine/run.ts';
import { openFmu } from '../src/fmi/archive.ts';
import { createWorkerPool } from '../src/runner/pool.ts';
import type { SimulationJob, WorkerPool } from '../src/runner/types.ts';
import { sweep } from '../src/service/sweep.ts';
import { buildFmu } from '../tools/fmu-builder.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = join(ROOT, 'build', 'bench', 'pool');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const fmuPath = join(dir, 'decay.fmu');
await buildFmu({ modelDir: join(ROOT, 'test', 'fixtures', 'hostile', 'control'), fmiVersion: '2.0', outFile: fmuPath });
const fmu = openFmu({ path: fmuPath }, { cacheDir: join(dir, 'cache') });
const tinyOptions = { startTime: 0, stopTime: 1, outputInterval: 0.01, interface: 'CS' as const };
const job: SimulationJob = {
  fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
  options: tinyOptions,
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const N = 200;

// 1. latency
for (let i = 0; i < 20; i++) runSimulation(fmu, tinyOptions);
const inProc: number[] = [];
for (let i = 0; i < N; i++) {
  const t = performance.now();
  runSimulation(fmu, tinyOptions);
  inProc.push(performance.now() - t);
}
const pool1 = createWorkerPool({ size: 1, cacheDir: join(dir, 'cache'), reuseIdleMs: 60_000 });
for (let i = 0; i < 20; i++) await pool1.run(job, { callerId: 'bench' });
const viaPool: number[] = [];
for (let i = 0; i < N; i++) {
  const t = performance.now();
  await pool1.run(job, { callerId: 'bench' });
  viaPool.push(performance.now() - t);
}
const overhead = median(viaPool) - median(inProc);
console.log(`isolation: ${pool1.isolation.level}`);
console.log(`tiny simulation, median of ${N}: in-process ${median(inProc).toFixed(2)} ms, warm pool ${median(viaPool).toFixed(2)} ms`);
console.log(`pool overhead per job: ${overhead.toFixed(2)} ms (target ≤ 5 ms) ${overhead <= 5 ? 'OK' : 'MISSED'}`);

// 1b. cold start: a diagnostic always runs in a fresh worker, so this is start-up (spawn,
// sandbox, worker set-up) plus one tiny job, the cost paid after every crash, timeout or FMU change.
const cold: number[] = [];
const poolCold = createWorkerPool({ size: 1, cacheDir: join(dir, 'cache') });
await poolCold.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 1 });
for (let i = 0; i < 15; i++) {
  const t = performance.now();
  await poolCold.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 1 });
  cold.push(performance.now() - t);
}
await poolCold.close();
console.log(`cold worker (fresh worker per job, start-up + echo), median of ${cold.length}: ${median(cold).toFixed(1)} ms`);

// 2. sweep throughput
async function timeSweep(pool: WorkerPool): Promise<number> {
  // Runs of ~25 ms each (400 s at the FMU's 1 ms internal step): a sweep worth parallelising.
  const sweepJob: SimulationJob = { ...job, options: { ...tinyOptions, stopTime: 400, outputInterval: 0.1 } };
  const ks = Array.from({ length: 40 }, (_, i) => 0.1 + i * 0.05);
  await sweep(pool, sweepJob, { parameters: { k: ks.slice(0, 4) } }, { callerId: 'bench' }); // warm and bind every worker
  const t = performance.now();
  const r = await sweep(pool, sweepJob, { parameters: { k: ks } }, { callerId: 'bench' });
  if (r.failed > 0) throw new Error(`sweep had ${r.failed} failed runs: ${JSON.stringify(r.runs.find((x) => x.error)?.error)}`);
  return performance.now() - t;
}
await pool1.close();
const single = createWorkerPool({ size: 1, cacheDir: join(dir, 'cache') });
const t1 = await timeSweep(single);
await single.close();
const double = createWorkerPool({ size: 2, cacheDir: join(dir, 'cache') });
const t2 = await timeSweep(double);
await double.close();
const speedup = t1 / t2;
console.log(
  `40-run sweep (400 000 internal steps each): 1 worker ${t1.toFixed(0)} ms, 2 workers ${t2.toFixed(0)} ms, speed-up ${speedup.toFixed(2)}× (target ≥ 1.8×) ${speedup >= 1.8 ? 'OK' : 'MISSED'}`,
);
rmSync(dir, { recursive: true, force: true });
