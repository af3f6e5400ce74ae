/**
 * The result path end to end, against C (bench/c/cosim_csv.c) in the same run:
 *  1. whole process: `fmu-gateway simulate <raw-fmi2> --csv out.csv` for 1e6 steps (1 000 001 rows:
 *     start, worker pool, sandbox, stepping, the worker's columnar file, summaries, CSV) against the
 *     C program that dlopens the same binary, runs the same loop and writes the same CSV.
 *     Target: at most 2x the C program's time. Printed also as the cost per row of both.
 *  2. the HTTP server answering GET /health while a 1e6-row simulate (MCP over HTTP) runs and its
 *     result is written and summarised: the slowest answer during the run. Target: <= 50 ms.
 * BENCH_STEPS changes the size; best of RUNS for the whole-process figures.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { findBinary } from '../src/fmi/platform.ts';
import { buildFixture, openFixture, ROOT } from '../test/helpers/fixtures.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 1_000_000);
const ROWS = STEPS + 1;
const H = 1 / STEPS;
const RUNS = 3;
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');

const fmuPath = await buildFixture('raw-fmi2', '2.0', { raw: true });
const fmu = openFixture(fmuPath);
const binary = findBinary(fmu.unpackedDir, fmu.modelDescription, 'CS');
const outDir = join(ROOT, 'build', 'bench');
mkdirSync(outDir, { recursive: true });
const exe = join(outDir, 'cosim_csv');
execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'c', 'cosim_csv.c'), '-ldl'], { stdio: 'inherit' });
// The CLI runs from its bundle when it matches the sources (as after npm install): build it now.
execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'build-cli.ts')], { cwd: ROOT, stdio: 'ignore' });

const work = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-result-'));
/** What a user's shell would pass, less this machine's NODE_EXTRA_CA_CERTS (+30 ms per node start, not ours). */
function gatewayEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  return { ...env, FMU_GATEWAY_DATA_DIR: dataDir, MAX_OUTPUT_ROWS: String(ROWS + 10), SIM_TIMEOUT_SECONDS: '120' };
}

function timed(command: string, args: string[], env?: Record<string, string>): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', env: env ?? {}, cwd: ROOT, maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${command} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/** Same rows, same values: every 997th line compared number by number (the texts may differ in digits). */
function sameCsv(a: string, b: string): void {
  const la = readFileSync(a, 'utf8').split('\n');
  const lb = readFileSync(b, 'utf8').split('\n');
  if (la.length !== lb.length || la[0] !== lb[0])
    throw new Error(`CSV shapes differ: ${la.length} vs ${lb.length} lines, ${la[0]} / ${lb[0]}`);
  for (let i = 1; i < la.length; i += 997) {
    const x = (la[i] as string).split(',').map(Number);
    const y = (lb[i] as string).split(',').map(Number);
    if (x.length !== y.length || x.some((v, j) => v !== y[j])) throw new Error(`line ${i} differs: ${la[i]} / ${lb[i]}`);
  }
}

// 1. Whole process, CLI vs C (BENCH_PART=health skips it).
const part = process.env.BENCH_PART;
if (part !== 'health') {
  const cCsv = join(work, 'c.csv');
  const gwCsv = join(work, 'gateway.csv');
  const cArgs = [binary, fmu.modelDescription.guid, pathToFileURL(join(fmu.unpackedDir, 'resources')).href, String(STEPS), String(H), cCsv];
  const cliArgs = [BIN, 'simulate', fmuPath, '--stop', '1', '--step', String(H), '--output', 'y,n', '--csv', gwCsv];
  const dataDir = join(work, 'data');
  timed(process.execPath, cliArgs, gatewayEnv(dataDir)); // first run: unpacks the FMU into the cache
  const cRuns: number[] = [];
  const gwRuns: number[] = [];
  let stepMs = Number.NaN;
  for (let i = 0; i < RUNS; i++) {
    cRuns.push(timed(exe, cArgs).ms);
    const r = timed(process.execPath, cliArgs, gatewayEnv(dataDir));
    gwRuns.push(r.ms);
    // "…, 1000001 rows, …, 212.3 ms": the engine's own wall time for init + stepping + recording.
    const m = / ([\d.]+) ms\n/.exec(r.stdout);
    if (m?.[1] !== undefined) stepMs = Math.min(Number.isNaN(stepMs) ? Infinity : stepMs, Number(m[1]));
  }
  sameCsv(cCsv, gwCsv);
  const c = Math.min(...cRuns);
  const gw = Math.min(...gwRuns);
  const perRow = (ms: number): string => `${((ms * 1000) / ROWS).toFixed(3).padStart(7)} us/row`;
  console.log(`whole process, ${ROWS} rows to CSV (${(statSync(gwCsv).size / 1e6).toFixed(1)} MB; best of ${RUNS})`);
  console.log(`  C program (dlopen, loop, fprintf)     ${c.toFixed(0).padStart(6)} ms  ${perRow(c)}`);
  console.log(`  fmu-gateway simulate --csv (CLI)      ${gw.toFixed(0).padStart(6)} ms  ${perRow(gw)}`);
  console.log(`    of which stepping + recording       ${stepMs.toFixed(0).padStart(6)} ms  ${perRow(stepMs)}`);
  console.log(
    `  ratio                                 ${(gw / c).toFixed(2).padStart(6)} x   (target <= 2) ${gw / c <= 2 ? 'OK' : 'OVER'}`,
  );
}

// 2. /health while a 1e6-row result is produced, over a spawned `serve`.
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
