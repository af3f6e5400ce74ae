/**
 * What one completed run costs the gateway's main thread (its one event loop, which also answers
 * /health and admits requests), in CPU ms, for this checkout beside a baseline checkout, in one run:
 *  - pool: the worker pool alone, in this process (msl BouncingBall FMI 2, stop 3, one caller),
 *    at concurrency 1 and 8: the runner's share (staging, result files, channel, memory sampling,
 *    worker supply);
 *  - serve: a real `serve` (SQLite store, one API key), POST /simulate at concurrency 8: the whole
 *    request (HTTP, auth, store, answer) on the server's main thread.
 * CPU of the main thread only (/proc/<pid>/task/<pid>/schedstat, ns): libuv's thread pool and the
 * workers are other threads and processes.
 *
 * The baseline is the tree of a git commit (default: the last commit before the runner's
 * main-thread work of issue 18), extracted with `git archive` into a temporary directory that
 * borrows this checkout's node_modules and a copy of its build/.
 * Run: node --import tsx bench/gateway-cpu.ts [--seconds S] [--baseline REF|none]   (or `npm run bench -- gateway-cpu`)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlink } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { openFmu as OpenFmu } from '../src/fmi/archive.ts';
import type { createWorkerPool as CreateWorkerPool } from '../src/runner/pool.ts';
import { serveEnv } from './serve-env.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    baseline: { type: 'string', default: '5b4b234ee1d69fc44ea3831e1f390557682ba9a4' },
    // Child mode: measure the checkout at --root and print one JSON line.
    child: { type: 'string' },
    root: { type: 'string' },
  },
});
const HERE = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(args.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** CPU time of a process's main thread, in ms (its first task has the process's id). */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface PoolFigures {
  c1CpuMs: number;
  c1P50Ms: number;
  c8CpuMs: number;
  c8PerSecond: number;
  workersStarted: number;
}

async function measurePool(root: string): Promise<PoolFigures> {
  const imp = (p: string) => import(pathToFileURL(join(root, p)).href);
  const { createWorkerPool } = (await imp('src/runner/pool.ts')) as { createWorkerPool: typeof CreateWorkerPool };
  const { openFmu } = (await imp('src/fmi/archive.ts')) as { openFmu: typeof OpenFmu };
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-cpu-'));
  const fmu = openFmu({ path: join(root, 'build', 'library', 'BouncingBall', 'BouncingBall-fmi2.fmu') }, { cacheDir: join(dir, 'cache') });
  const job = {
    fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
    options: { startTime: 0, stopTime: 3, outputInterval: 0.01, interface: 'CS' as const },
    // As the simulate use case sends it: the answer's reductions computed by the worker, the rows
    // left in the result file (which the run store adopts; here it is deleted).
    digest: { kpis: [], seriesPoints: [50] },
  };
  const pool = createWorkerPool({ cacheDir: join(dir, 'cache'), resultDir: join(dir, 'results'), sandbox: 'auto' });
  const pids = new Set<number>();
  const run = async () => {
    const r = await pool.run(job, { callerId: 'bench', rowsInFile: true });
    if (r.resultFile !== undefined) unlink(r.resultFile, () => undefined); // off the main thread, as in neither tree's path
    for (const p of pool.stats().pids) pids.add(p);
  };
  try {
    for (let i = 0; i < 30; i++) await run();
    pids.clear();
    for (const p of pool.stats().pids) pids.add(p);
    const before = pids.size;
    const lat: number[] = [];
    let cpu0 = mainThreadCpuMs(process.pid);
    let end = performance.now() + SECONDS * 500;
    while (performance.now() < end) {
      const t = performance.now();
      await run();
      lat.push(performance.now() - t);
    }
    const c1CpuMs = (mainThreadCpuMs(process.pid) - cpu0) / lat.length;
    let done = 0;
    cpu0 = mainThreadCpuMs(process.pid);
    const t0 = performance.now();
    end = t0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < end) {
          await run();
          done++;
        }
      }),
    );
    return {
      c1CpuMs,
      c1P50Ms: median(lat),
      c8CpuMs: (mainThreadCpuMs(process.pid) - cpu0) / done,
      c8PerSecond: done / ((performance.now() - t0) / 1000),
      workersStarted: pids.size - before,
    };
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ServeFigures {
  cpuMs: number;
  perSecond: number;
  p50Ms: number;
}

async function measureServe(root: string): Promise<ServeFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-cpu-serve-'));
  const env = serveEnv(dataDir, {
    // Both checkouts run their TypeScript the same way (a stale CLI bundle would not be used anyway).
    FMU_GATEWAY_NO_BUNDLE: '1',
  });
  const child = spawn(process.execPath, [join(root, 'bin', 'fmu-gateway.js'), 'serve', '--port', '0', '--allow-unsandboxed'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const base = await new Promise<string>((resolvePort, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 90_000);
      child.stderr.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-20_000);
        const m = /MCP endpoint (http:\/\/\S+)\/mcp/.exec(log);
        if (m?.[1] !== undefined) {
          clearTimeout(timer);
          resolvePort(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
    });
    const key = ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
    const once = async (): Promise<boolean> => {
      const r = await fetch(`${base}/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ fmu_id: 'msl:BouncingBall', stop_time: 3 }),
      });
      const body = (await r.json()) as { status?: string };
      return r.status === 200 && (body.status === 'completed' || body.status === 'ok');
    };
    await sleep(1000);
    for (let i = 0; i < 30; i++) await once();
    const pid = child.pid as number;
    const lat: number[] = [];
    const cpu0 = mainThreadCpuMs(pid);
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          if (await once()) lat.push(performance.now() - t);
        }
      }),
    );
    return {
      cpuMs: (mainThreadCpuMs(pid) - cpu0) / lat.length,
      perSecond: lat.length / ((performance.now() - t0) / 1000),
      p50Ms: median(lat),
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (args.child !== undefined) {
  const root = resolve(args.root ?? HERE);
  const out = args.child === 'pool' ? await measurePool(root) : await measureServe(root);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

/** The baseline's tree in a temporary directory (node_modules borrowed, build/ copied). */
function checkoutBaseline(ref: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-baseline-'));
  try {
    const tar = execFileSync('git', ['-C', HERE, 'archive', '--format=tar', ref], { maxBuffer: 1 << 30 });
    const r = spawnSync('tar', ['-x', '-C', dir], { input: tar });
    if (r.status !== 0) throw new Error(r.stderr.toString());
    symlinkSync(join(HERE, 'node_modules'), join(dir, 'node_modules'));
    mkdirSync(join(dir, 'build'), { recursive: true });
    cpSync(join(HERE, 'build', 'library'), join(dir, 'build', 'library'), { recursive: true });
    return dir;
  } catch (e) {
    console.log(`(no baseline: cannot extract ${ref}: ${String(e).slice(0, 200)})`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function childRun(part: 'pool' | 'serve', root: string): Record<string, number> | undefined {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', part, '--root', root, '--seconds', String(SECONDS)],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 600_000,
    },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, number>;
  } catch {
    console.log(`(${part} at ${root} failed: ${r.status ?? r.signal} ${r.stdout.slice(-300)})`);
    return undefined;
  }
}

console.log(`load average before: ${load()} (2-core machine shared with other work: figures rise with it)`);
const baseRoot = args.baseline === 'none' ? undefined : checkoutBaseline(args.baseline);
try {
  const fig = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits)).padStart(12);
  const rows: [string, string, number][] = [
    ['pool c1: main-thread CPU ms per run', 'c1CpuMs', 2],
    ['pool c1: p50 ms', 'c1P50Ms', 2],
    ['pool c8: main-thread CPU ms per run', 'c8CpuMs', 2],
    ['pool c8: runs/s', 'c8PerSecond', 1],
    ['pool: workers started while measuring', 'workersStarted', 0],
  ];
  const pool = { now: childRun('pool', HERE), base: baseRoot === undefined ? undefined : childRun('pool', baseRoot) };
  const serve = { now: childRun('serve', HERE), base: baseRoot === undefined ? undefined : childRun('serve', baseRoot) };
  rows.push(['serve c8: main-thread CPU ms per run', 'cpuMs', 2], ['serve c8: runs/s', 'perSecond', 1], ['serve c8: p50 ms', 'p50Ms', 1]);
  console.log(`\n${''.padEnd(44)}${'baseline'.padStart(12)}${'this tree'.padStart(12)}   (baseline ${args.baseline.slice(0, 12)})`);
  for (const [label, key, digits] of rows) {
    const src = label.startsWith('pool') ? pool : serve;
    console.log(`${label.padEnd(44)}${fig(src.base?.[key], digits)}${fig(src.now?.[key], digits)}`);
  }
  console.log(`load average after: ${load()}`);
} finally {
  if (baseRoot !== undefined) rmSync(baseRoot, { recursive: true, force: true });
}
