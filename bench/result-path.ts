/**
 * The row path end to end, whole process, against C in the same run (issue 24, deliverable 3):
 *  1. `fmu-gateway simulate <fmu> [--interface ME --solver euler] [--csv out.csv]`, 1e6 steps
 *     (1 000 001 rows) on two FMI 3 FMUs of our library — VanDerPol (two states, nonlinear) and
 *     Dahlquist (one state, the trivial decay) — Co-Simulation and Model Exchange explicit Euler,
 *     with and without CSV, each beside two C baselines that dlopen the same binary
 *     (bench/c/row_path.c): "the C program" (loop into columns, then the CSV with the shortest
 *     round-trip decimal, as the gateway writes it) and "the fmusim-like loop" (one
 *     fprintf("%.16g") row per step inside the loop, as fmusim records). Without CSV the C
 *     baseline is the loop alone. Targets: ratio to the C program <= 1.3 with CSV; per-step
 *     overhead above C <= 200 ns (CS and ME Euler). The overhead is printed twice: the whole
 *     difference / steps (it includes the gateway's start-up, issue 24 deliverable 1), and the
 *     marginal cost per step: ((gateway(N) - gateway(1 step)) - (C(N) - C(1 step))) / N.
 *     The CSVs are compared number by number (values exactly; the ME Euler rows of VanDerPol are
 *     textbook Euler, equal to the C loop's to 1e-12), so both sides computed the same thing.
 *  2. the HTTP server answering GET /health while a 1e6-row simulate (MCP over HTTP) runs and its
 *     result is written and summarised: the slowest answer during the run. Target: <= 50 ms.
 * Env: BENCH_STEPS (default 1e6), BENCH_RUNS (best of, default 2), BENCH_PART=rows|health,
 * BENCH_FILTER=VanDerPol|Dahlquist, BENCH_NATIVE=0 (step call by call through koffi, without the
 * native stepper: the figures of a build without a C compiler, and of the code before it). Beside the gateway's whole-process time, the engine's own wall
 * time for initialization + stepping + recording (the CLI prints it) shows how much is the
 * loop itself. (CPU time is not printed: /usr/bin/time does not see the sandboxed worker's.)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { findBinary } from '../src/fmi/platform.ts';
import { STEPPER_PATH } from '../src/fmi/stepper-path.ts';
import { buildFixture, buildLibraryModel, openFixture, ROOT } from '../test/helpers/fixtures.ts';
import { buildStepper } from '../tools/build-stepper.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 1_000_000);
const ROWS = STEPS + 1;
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

const outDir = join(ROOT, 'build', 'bench');
mkdirSync(outDir, { recursive: true });
const exe = join(outDir, 'row_path');
execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'c', 'row_path.c'), '-ldl'], { stdio: 'inherit' });
// The native stepping helper and the CLI bundle, as `npm run build` makes them. BENCH_NATIVE=0:
// the helper is moved aside for this run (restored at exit), so the engine steps call by call
// through koffi, as without a C compiler at build time (the worker's sandbox passes no switch).
const native = process.env.BENCH_NATIVE !== '0';
buildStepper();
if (!native) {
  const aside = `${STEPPER_PATH}.bench-off`;
  renameSync(STEPPER_PATH, aside);
  process.once('exit', () => renameSync(aside, STEPPER_PATH));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
}
// The CLI runs from its bundle when it matches the sources (as after npm install): build it now.
execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'build-cli.ts')], { cwd: ROOT, stdio: 'ignore' });

const work = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-result-'));
/** What a user's shell would pass, less this machine's NODE_EXTRA_CA_CERTS (+30 ms per node start, not ours). */
function gatewayEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  return {
    ...env,
    FMU_GATEWAY_DATA_DIR: dataDir,
    MAX_OUTPUT_ROWS: String(ROWS + 10),
    SIM_TIMEOUT_SECONDS: '300',
    // Phase marks on stderr (a few lines per run): the row path's own time (Timed.rowPathMs).
    FMU_GATEWAY_TRACE_STARTUP: '1',
  };
}

interface Timed {
  ms: number;
  /** The gateway's engine: initialization + stepping + recording, its own wall time ("…, 1000001 rows, …, 212.3 ms"). */
  engineMs: number;
  /**
   * The gateway's row path: from the job sent to the worker to the output written (engine, result
   * file, digest, answer, CSV), from its start-up trace; NaN for the C programs. Start-up (node,
   * bundle, sandbox, worker spawn) and shutdown are outside it, so its difference between N steps
   * and 1 step is the per-row cost without the start-up noise of a loaded machine.
   */
  rowPathMs: number;
  stdout: string;
}

function timed(command: string, args: string[], env: Record<string, string> = {}): Timed {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', env, cwd: ROOT, maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const m = / ([\d.]+) ms\n/.exec(r.stdout);
  const mark = (phase: string): number => {
    const at = new RegExp(`^fmu-gateway startup: ([\\d.]+) ${phase}$`, 'm').exec(r.stderr)?.[1];
    return at === undefined ? Number.NaN : Number(at);
  };
  return {
    ms,
    engineMs: m?.[1] === undefined ? Number.NaN : Number(m[1]),
    rowPathMs: mark('output written') - mark('pool: job sent to worker'),
    stdout: r.stdout,
  };
}

function best(f: () => Timed): Timed {
  let top: Timed | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = f();
    if (top === undefined || r.ms < top.ms)
      top = {
        ...r,
        engineMs: Math.min(r.engineMs, top?.engineMs ?? Infinity),
        rowPathMs: Math.min(r.rowPathMs, top?.rowPathMs ?? Infinity),
      };
    else {
      top.engineMs = Math.min(top.engineMs, r.engineMs);
      top.rowPathMs = Math.min(top.rowPathMs, r.rowPathMs);
    }
  }
  return top as Timed;
}

/**
 * Same rows, same values: every line's numbers parsed back (the texts may differ in digits:
 * %.16g, grid times printed without float noise). Values exactly, unless `tol` (fmusim's %.16g
 * does not round-trip); times to 1e-12 relative (the gateway prints grid times cleaned).
 */
function sameCsv(a: string, b: string, tol = 0): number {
  const la = readFileSync(a, 'latin1').split('\n');
  const lb = readFileSync(b, 'latin1').split('\n');
  if (la.length !== lb.length) throw new Error(`CSV shapes differ: ${la.length} vs ${lb.length} lines, ${la[0]} / ${lb[0]}`);
  let worst = 0;
  for (let i = 1; i < la.length; i++) {
    if (la[i] === lb[i]) continue;
    const x = (la[i] as string).split(',').map(Number);
    const y = (lb[i] as string).split(',').map(Number);
    if (x.length !== y.length) throw new Error(`line ${i} differs: ${la[i]} / ${lb[i]}`);
    if (Math.abs(x[0]! - y[0]!) > 1e-12 * Math.max(1, Math.abs(x[0]!))) throw new Error(`line ${i}: times differ: ${la[i]} / ${lb[i]}`);
    for (let j = 1; j < x.length; j++) {
      const d = Math.abs(x[j]! - y[j]!);
      if (!(d <= tol * Math.max(1, Math.abs(x[j]!)))) throw new Error(`line ${i} differs by ${d}: ${la[i]} / ${lb[i]}`);
      worst = Math.max(worst, d);
    }
  }
  return worst;
}

interface Case {
  model: 'VanDerPol' | 'Dahlquist';
  iface: 'cs' | 'me';
  h: number;
  /** Output value references and names (the C side writes the same header). */
  vrs: number[];
  names: string[];
  set?: Record<string, { vr: number; value: number }>;
}

const CASES: Case[] = [
  { model: 'VanDerPol', iface: 'cs', h: 0.001, vrs: [1, 3], names: ['x0', 'x1'] },
  // The Euler check: h = 0.01, 1e6 steps.
  { model: 'VanDerPol', iface: 'me', h: 0.01, vrs: [1, 3], names: ['x0', 'x1'] },
  // k = 1e-3: x decays to e^-1 over the run (k = 1 underflows to 0 and prints "0" for most rows).
  { model: 'Dahlquist', iface: 'cs', h: 0.001, vrs: [1], names: ['x'], set: { k: { vr: 3, value: 0.001 } } },
  { model: 'Dahlquist', iface: 'me', h: 0.001, vrs: [1], names: ['x'], set: { k: { vr: 3, value: 0.001 } } },
];

const part = process.env.BENCH_PART;
const filter = process.env.BENCH_FILTER;
if (part !== 'health') {
  console.log(`load average at start: ${load()} (2 cores; every figure is wall time, inflated by load)`);
  console.log(
    `engine stepping: ${native ? 'native stepper (src/fmi/native/stepper.c)' : 'koffi call by call (BENCH_NATIVE=0: the native stepper moved aside)'}`,
  );
  console.log(
    `${STEPS} steps, ${ROWS} rows, best of ${RUNS}. Per-step overhead above C: whole = (gateway - C) / steps; ` +
      "marginal = the same less each side's 1-step run (start-up excluded); engine = the gateway engine's own stepping + recording time less the C loop's; " +
      "row path = the gateway's time from the job sent to its worker to the output written (its start-up trace), N steps less 1 step, " +
      "less the C side's N steps less 1 step: the per-row cost without the start-up noise of a loaded machine.",
  );
  const ns = (ms: number): string => `${((ms * 1e6) / STEPS).toFixed(0).padStart(6)} ns`;
  const fmt = (t: Timed): string => `${t.ms.toFixed(0).padStart(6)} ms`;
  for (const k of CASES) {
    if (filter !== undefined && k.model !== filter) continue;
    const fmuPath = await buildLibraryModel(k.model, '3.0');
    const fmu = openFixture(fmuPath);
    const md = fmu.modelDescription;
    const binary = findBinary(fmu.unpackedDir, md, k.iface === 'me' ? 'ME' : 'CS');
    const nx = md.number_of_continuous_states;
    const header = ['time', ...k.names].join(',');
    const cEnv = {
      ROW_PATH_HEADER: header,
      ...(k.set
        ? {
            ROW_PATH_SET: Object.values(k.set)
              .map((s) => `${s.vr}=${s.value}`)
              .join(','),
          }
        : {}),
    };
    const c = (mode: 'csv' | 'fmusim' | 'none', steps: number, out: string): Timed =>
      timed(
        exe,
        [
          binary,
          md.guid,
          pathToFileURL(join(fmu.unpackedDir, 'resources')).href + '/',
          k.iface,
          mode,
          String(steps),
          String(k.h),
          String(nx),
          out,
          ...k.vrs.map(String),
        ],
        cEnv,
      );
    const dataDir = join(work, `data-${k.model}`);
    const gw = (steps: number, csv: string | undefined): Timed =>
      timed(
        process.execPath,
        [
          BIN,
          'simulate',
          fmuPath,
          '--stop',
          String(steps * k.h),
          '--step',
          String(k.h),
          '--output',
          k.names.join(','),
          ...(k.iface === 'me' ? ['--interface', 'ME', '--solver', 'euler'] : []),
          ...Object.entries(k.set ?? {}).flatMap(([name, s]) => ['--set', `${name}=${s.value}`]),
          ...(csv === undefined ? [] : ['--csv', csv]),
        ],
        gatewayEnv(dataDir),
      );
    gw(1, undefined); // first run: unpacks the FMU into the cache
    const cCsv = join(work, 'c.csv');
    const fCsv = join(work, 'fmusim.csv');
    const gCsv = join(work, 'gateway.csv');
    const c1 = best(() => c('none', 1, '-'));
    const cNone = best(() => c('none', STEPS, '-'));
    const cWith = best(() => c('csv', STEPS, cCsv));
    const fWith = best(() => c('fmusim', STEPS, fCsv));
    const g1 = best(() => gw(1, undefined));
    const gNone = best(() => gw(STEPS, undefined));
    const gWith = best(() => gw(STEPS, gCsv));
    const worst = sameCsv(cCsv, gCsv);
    sameCsv(fCsv, gCsv, 1e-15);
    const label = `${k.model} ${k.iface === 'cs' ? 'CS' : 'ME Euler'}, h = ${k.h}`;
    console.log(`\n${label} (${(statSync(gCsv).size / 1e6).toFixed(1)} MB CSV; gateway rows = C rows, max |difference| ${worst})`);
    console.log(`  C, 1 step (process start)             ${fmt(c1)}`);
    console.log(`  gateway, 1 step (process start)       ${fmt(g1)}`);
    console.log(`  without CSV  C loop                   ${fmt(cNone)}`);
    console.log(
      `               gateway                  ${fmt(gNone)}  ${(gNone.ms / cNone.ms).toFixed(2)} x C  (engine: ${gNone.engineMs.toFixed(0)} ms)`,
    );
    console.log(
      `               overhead per step        whole ${ns(gNone.ms - cNone.ms)}, marginal ${ns(gNone.ms - g1.ms - (cNone.ms - c1.ms))}, ` +
        `engine ${ns(gNone.engineMs - (cNone.ms - c1.ms))}, row path ${ns(gNone.rowPathMs - g1.rowPathMs - (cNone.ms - c1.ms))}; target <= 200 ns`,
    );
    console.log(`  with CSV     C program                ${fmt(cWith)}`);
    console.log(`               fmusim-like C loop       ${fmt(fWith)}`);
    console.log(
      `               gateway                  ${fmt(gWith)}  ${(gWith.ms / cWith.ms).toFixed(2)} x C program ` +
        `(target <= 1.3 ${gWith.ms / cWith.ms <= 1.3 ? 'OK' : 'OVER'}), ${(gWith.ms / fWith.ms).toFixed(2)} x fmusim-like`,
    );
    console.log(
      `               overhead per step        whole ${ns(gWith.ms - cWith.ms)}, marginal ${ns(gWith.ms - g1.ms - (cWith.ms - c1.ms))}, ` +
        `row path ${ns(gWith.rowPathMs - g1.rowPathMs - (cWith.ms - c1.ms))}; ` +
        `vs fmusim-like: whole ${ns(gWith.ms - fWith.ms)}, marginal ${ns(gWith.ms - g1.ms - (fWith.ms - c1.ms))}`,
    );
  }
  console.log(`\nload average at end: ${load()}`);
}

// 2. /health while a 1e6-row result is produced, over a spawned `serve`.
if (part === 'rows') {
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
const fmuPath = await buildFixture('raw-fmi2', '2.0', { raw: true });
const H = 1 / STEPS;
const serveData = join(work, 'serve');
const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
  cwd: ROOT,
  env: gatewayEnv(serveData),
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
const mcpUrl = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 30_000);
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
    const m = /MCP endpoint (http:\/\/\S+\/mcp)/.exec(log);
    if (m?.[1] !== undefined) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
});
const healthUrl = mcpUrl.replace(/\/mcp$/, '/health');
const client = new Client({ name: 'bench', version: '0' });
await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
const up = await client.callTool({ name: 'upload_fmu', arguments: { content_base64: readFileSync(fmuPath).toString('base64') } });
const fmuId = (up.structuredContent as { fmu_id?: string }).fmu_id;
if (fmuId === undefined) throw new Error(`upload failed: ${JSON.stringify(up)}`);

async function healthDuring(run: () => Promise<unknown>): Promise<{ max: number; p50: number; n: number }> {
  const samples: number[] = [];
  let running = true;
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      const r = await fetch(healthUrl);
      await r.arrayBuffer();
      samples.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  await run();
  running = false;
  await poll;
  samples.sort((a, b) => a - b);
  return { max: samples[samples.length - 1] ?? Number.NaN, p50: samples[Math.floor(samples.length / 2)] ?? Number.NaN, n: samples.length };
}

const simulateArgs = { fmu_id: fmuId, stop_time: 1, step: H, outputs: ['y', 'n'] };
await client.callTool({ name: 'simulate', arguments: { ...simulateArgs, stop_time: 0.01 } }); // warm worker, JIT
const t0 = performance.now();
let rows = 0;
const h = await healthDuring(async () => {
  const r = await client.callTool({ name: 'simulate', arguments: simulateArgs }, undefined, { timeout: 120_000 });
  rows = (r.structuredContent as { rows?: number }).rows ?? 0;
  if (rows !== ROWS) throw new Error(`simulate answered ${JSON.stringify(r.structuredContent).slice(0, 500)}`);
});
const simMs = performance.now() - t0;
console.log(`serve: GET /health while simulate writes a ${rows}-row result (${simMs.toFixed(0)} ms, ${h.n} probes)`);
console.log(
  `  slowest /health answer                ${h.max.toFixed(1).padStart(6)} ms  (median ${h.p50.toFixed(1)} ms; target <= 50) ${h.max <= 50 ? 'OK' : 'OVER'}`,
);
await client.close();
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;
rmSync(work, { recursive: true, force: true });
