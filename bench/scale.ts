/**
 * Scale-out on BullMQ (src/queue): the same 64-run sweep through the job queue with 1 worker node
 * and with 2 (`fmu-gateway worker` processes, pool size 1 each), and the queue's overhead per job.
 *  1. Sweep wall time, 1 node vs 2: target ratio ≥ 1.7× (2 cores; other load on the machine counts).
 *  2. Overhead per job: enqueue → result back on the API side (p50, sequential tiny runs) beside the
 *     same run through an in-process worker pool (the one-machine path).
 * Redis is real (redis-server on a free loopback port); the blob store is a local directory
 * (file://) shared by the nodes of this one machine, so S3 round trips are not in these figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLocalBlobStore } from '../src/blobs/local.ts';
import { openFmu } from '../src/fmi/archive.ts';
import { createCatalog } from '../src/library/catalog.ts';
import { createQueueRunner } from '../src/queue/index.ts';
import { createWorkerPool } from '../src/runner/pool.ts';
import type { SimulationJob } from '../src/runner/types.ts';
import { silentLogger } from '../src/service/context.ts';
import { sweep } from '../src/service/sweep.ts';
import { startRedis } from '../test/helpers/db-servers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const dir = join(tmpdir(), `fmugw-bench-scale-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const blobDir = join(dir, 'blobs');

const redis = await startRedis();
const { fmuPath } = createCatalog().resolve('msl:DCMotor', '2.0');
const fmu = openFmu({ path: fmuPath }, { cacheDir: join(dir, 'cache') });
const jobOf = (stopTime: number): SimulationJob => ({
  fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
  options: { startTime: 0, stopTime, outputInterval: 0.25, interface: 'CS' },
});

async function startWorker(name: string): Promise<ChildProcess> {
  const data = join(dir, name);
  const child = spawn(process.execPath, [BIN, 'worker', '--allow-unsandboxed'], {
    cwd: ROOT,
    env: {
      ...process.env,
      FMU_GATEWAY_QUEUE_URL: redis.url,
      FMU_GATEWAY_BLOB_URL: pathToFileURL(blobDir).href,
      FMU_GATEWAY_NODE_NAME: name,
      FMU_GATEWAY_POOL_SIZE: '1',
      FMU_GATEWAY_DATA_DIR: data,
      FMU_GATEWAY_CACHE_DIR: join(data, 'cache'),
      SIM_TIMEOUT_SECONDS: '120',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(' ready (')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited ${code}: ${log}`)));
  });
  return child;
}
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise((r) => {
          c.once('exit', r);
          c.kill('SIGTERM');
        }),
    ),
  );
}

const runner = await createQueueRunner({
  url: redis.url,
  blobs: createLocalBlobStore(blobDir),
  incomingDir: join(dir, 'api', 'incoming'),
  nodeName: 'bench-api',
  logger: silentLogger,
  pollMs: 1000,
});
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const RUNS = 64;
const runs = Array.from({ length: RUNS }, (_, i) => ({ R: 1 + i * 0.01 }));
const sweepJob = jobOf(1500); // 6 000 rows per run

async function timedSweep(nodes: number): Promise<number> {
  const workers = await Promise.all(Array.from({ length: nodes }, (_, i) => startWorker(`bench-w${i + 1}`)));
  try {
    await runner.run(sweepJob, { callerId: 'bench' }); // warm: library index, unpack, first worker process
    await runner.run(sweepJob, { callerId: 'bench' });
    const t = performance.now();
    const r = await sweep(runner, sweepJob, { runs }, { callerId: 'bench', concurrency: 16 });
    const ms = performance.now() - t;
    if (r.completed !== RUNS)
      throw new Error(`sweep on ${nodes} node(s): ${r.failed} runs failed: ${JSON.stringify(r.runs.find((x) => x.error))}`);
    return ms;
  } finally {
    await stopAll(workers);
  }
}

console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2 cores; other processes compete)`,
);
const one = await timedSweep(1);
const two = await timedSweep(2);
console.log(`64-run sweep (DCMotor CS, 6 000 rows per run), pool size 1 per node:`);
console.log(`  1 worker node : ${(one / 1000).toFixed(2)} s`);
console.log(`  2 worker nodes: ${(two / 1000).toFixed(2)} s`);
console.log(`  speed-up      : ${(one / two).toFixed(2)}×  (target ≥ 1.7×)`);

// 2. overhead per job
const tiny = jobOf(1); // 5 rows
const N = 40;
const w = await startWorker('bench-lat');
const viaQueue: number[] = [];
try {
  for (let i = 0; i < 5; i++) await runner.run(tiny, { callerId: 'bench' });
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await runner.run(tiny, { callerId: 'bench' });
    viaQueue.push(performance.now() - t);
  }
} finally {
  await stopAll([w]);
}
const pool = createWorkerPool({ size: 1, cacheDir: join(dir, 'cache'), reuseIdleMs: 60_000, sandbox: 'auto' });
const inProcess: number[] = [];
try {
  for (let i = 0; i < 5; i++) await pool.run(tiny, { callerId: 'bench' });
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await pool.run(tiny, { callerId: 'bench' });
    inProcess.push(performance.now() - t);
  }
} finally {
  await pool.close();
}
const q = median(viaQueue);
const p = median(inProcess);
console.log(`tiny run (5 rows), p50 of ${N}, sequential:`);
console.log(`  in-process worker pool      : ${p.toFixed(1)} ms`);
console.log(`  via queue (enqueue → result): ${q.toFixed(1)} ms  (queue overhead ≈ ${(q - p).toFixed(1)} ms per job)`);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

await runner.close();
await redis.stop();
rmSync(dir, { recursive: true, force: true });
