/**
 * Start-up budget (issue 24): whole processes, spawned the way users run them (node
 * bin/fmu-gateway.js → build/cli bundle), beside a bare `node -e 0` measured in the same run,
 * interleaved round by round so machine load hits every figure alike.
 *
 *  - `fmu-gateway --version`                            target ≤ 2 × node -e 0
 *  - `fmu-gateway simulate msl:BouncingBall --stop 3`   target ≤ 5 × node -e 0
 *  - MCP stdio: spawn → initialize answer, → first tools/list answer   target ≤ 250 ms
 *  - MCP stdio: spawn → first `simulate` answer                        target ≤ 400 ms
 *
 * Each figure: median and p90 over the runs. Then the per-phase breakdown: every run sets
 * FMU_GATEWAY_TRACE_STARTUP=1, which makes the CLI / MCP server print one stderr line per phase
 * (src/startup-trace.ts); the table shows the median time of each mark since process start.
 *
 * The environment is minimal (PATH, HOME, LANG, a fresh data dir): this machine's shell sets
 * NODE_EXTRA_CA_CERTS, which alone costs ~30 ms per node start. One untimed warm-up round runs
 * first (it also lets the sandbox self-test verdict be remembered, src/runner/sandbox-cache.ts);
 * the first simulate on the fresh data dir, self-test included, is reported on its own.
 *
 * `simulate` runs from its code-cached CommonJS bundle (bin/code-cache.js; the cache lives in the
 * bench's data dir, made by the first run); the same command with FMU_GATEWAY_CODE_CACHE=0 (the
 * plain ES module bundle, as before the cache) is measured beside it.
 *
 * Run: npm run bench -- startup   (STARTUP_RUNS=N, default 10)
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isPackaged, sourceStamp } from '../bin/source-stamp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const RUNS = Math.max(3, Number(process.env.STARTUP_RUNS ?? 10));
const TRACE = 'fmu-gateway startup: ';
const TARGET = { version: 2, simulate: 5, toolsList: 250, mcpSimulate: 400 };

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-startup-'));
const ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  LANG: 'C.UTF-8',
  FMU_GATEWAY_DATA_DIR: dataDir,
  // The launcher's V8 code cache (bin/code-cache.js): here, not in ~/.cache, so each bench starts cold.
  FMU_GATEWAY_CODE_CACHE_DIR: join(dataDir, 'v8'),
};
const TRACED = { ...ENV, FMU_GATEWAY_TRACE_STARTUP: '1' };

interface Marks {
  [phase: string]: number;
}

interface Sample {
  ms: number;
  marks: Marks;
}

function parseMarks(stderr: string): Marks {
  const marks: Marks = {};
  for (const line of stderr.split('\n')) {
    if (!line.startsWith(TRACE)) continue;
    const m = /^(\d+(?:\.\d+)?) (.*)$/.exec(line.slice(TRACE.length));
    // The first occurrence of a phase counts (a pool may start more than one worker).
    if (m !== null && !((m[2] as string) in marks)) marks[m[2] as string] = Number(m[1]);
  }
  return marks;
}

/** One process, start to exit (wall), with its phase marks. */
function runProcess(args: string[], env: Record<string, string>): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, cwd: dataDir, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { ms, marks: parseMarks(r.stderr) };
}

interface McpSample {
  initialize: number;
  toolsList: number;
  marks: Marks;
}

/**
 * One MCP stdio server: spawn → initialize answer → tools/list answer (`mode` 'list'), or
 * spawn → initialize → the first simulate answer ('simulate'). Raw JSON-RPC lines, as a client sends them.
 */
function runMcp(mode: 'list' | 'simulate'): Promise<McpSample & { simulate: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'mcp'], { env: TRACED, cwd: dataDir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const got: Record<number, number> = {};
    const send = (m: unknown): void => void child.stdin.write(`${JSON.stringify(m)}\n`);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mcp ${mode}: no answer in 30 s; stderr: ${err}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const msg = JSON.parse(line) as { id?: number; error?: unknown; result?: { isError?: boolean; content?: unknown } };
        if (typeof msg.id !== 'number') continue;
        got[msg.id] = performance.now() - t0;
        if (msg.error !== undefined || msg.result?.isError === true) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          reject(new Error(`mcp answer ${msg.id} is an error: ${line.slice(0, 500)}`));
          return;
        }
        if (msg.id === 1) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          if (mode === 'list') send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
          else
            send({
              jsonrpc: '2.0',
              id: 3,
              method: 'tools/call',
              params: { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3 } },
            });
        } else {
          clearTimeout(timer);
          child.stdin.end();
          child.once('exit', () =>
            resolve({ initialize: got[1] as number, toolsList: got[2] ?? NaN, simulate: got[3] ?? NaN, marks: parseMarks(err) }),
          );
        }
      }
    });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-startup', version: '0' } },
    });
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const p90 = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.9,
  );
const f = (x: number): string => x.toFixed(1).padStart(7);

function figure(label: string, xs: number[], target: string): void {
  console.log(`${label.padEnd(46)} median ${f(median(xs))} ms   p90 ${f(p90(xs))} ms   ${target}`);
}

function phaseTable(title: string, samples: Marks[]): void {
  const order: string[] = [];
  for (const m of samples) for (const k of Object.keys(m)) if (!order.includes(k)) order.push(k);
  order.sort(
    (a, b) =>
      median(samples.map((m) => m[a] ?? NaN).filter(Number.isFinite)) - median(samples.map((m) => m[b] ?? NaN).filter(Number.isFinite)),
  );
  console.log(`\n${title} — phase marks, ms since process start (median over ${samples.length} runs; Δ = since the previous mark)`);
  let prev = 0;
  for (const k of order) {
    const at = median(samples.map((m) => m[k] ?? NaN).filter(Number.isFinite));
    console.log(`  ${f(at)}  Δ ${f(at - prev)}  ${k}`);
    prev = at;
  }
}

function bundleState(): string {
  if (isPackaged(ROOT)) return 'installed package (build/cli bundle)';
  try {
    const built = (JSON.parse(readFileSync(join(ROOT, 'build', 'cli', 'stamp.json'), 'utf8')) as { stamp?: string }).stamp;
    return built === sourceStamp(ROOT)
      ? 'checkout, fresh build/cli bundle'
      : 'checkout, STALE bundle: tsx runs the sources (npm run build first)';
  } catch {
    return 'checkout, no bundle: tsx runs the sources (npm run build first)';
  }
}

try {
  console.log(
    `node ${process.version}, ${bundleState()}, ${RUNS} runs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`env: ${Object.keys(ENV).join(', ')} (+ FMU_GATEWAY_TRACE_STARTUP=1 for the fmu-gateway runs); data dir ${dataDir}`);
  // The first simulate on a fresh data dir: the sandbox self-test runs (its verdict is then
  // remembered), and the code cache is made.
  const cold = runProcess([BIN, 'simulate', 'msl:BouncingBall', '--stop', '3'], TRACED);
  // Warm-up round (untimed): disk caches, the remembered verdict.
  runProcess(['-e', '0'], ENV);
  runProcess([BIN, '--version'], TRACED);
  await runMcp('list');

  const base: number[] = [];
  const version: number[] = [];
  const sim: Sample[] = [];
  const simPlain: Sample[] = [];
  const lists: McpSample[] = [];
  const mcpSims: (McpSample & { simulate: number })[] = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(runProcess(['-e', '0'], ENV).ms);
    version.push(runProcess([BIN, '--version'], TRACED).ms);
    sim.push(runProcess([BIN, 'simulate', 'msl:BouncingBall', '--stop', '3'], TRACED));
    simPlain.push(runProcess([BIN, 'simulate', 'msl:BouncingBall', '--stop', '3'], { ...TRACED, FMU_GATEWAY_CODE_CACHE: '0' }));
    lists.push(await runMcp('list'));
    mcpSims.push(await runMcp('simulate'));
  }
  const b = median(base);
  const ratio = (xs: number[]): string => `${(median(xs) / b).toFixed(2)}×`;
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  figure('node -e 0 (baseline)', base, '');
  figure('fmu-gateway --version', version, `${ratio(version)} node (target ≤ ${TARGET.version}×)`);
  const simMs = sim.map((s) => s.ms);
  figure('fmu-gateway simulate msl:BouncingBall --stop 3', simMs, `${ratio(simMs)} node (target ≤ ${TARGET.simulate}×)`);
  const plainMs = simPlain.map((s) => s.ms);
  figure('  the same, FMU_GATEWAY_CODE_CACHE=0 (ES module)', plainMs, `${ratio(plainMs)} node`);
  figure(
    'MCP stdio: spawn → initialize answer',
    lists.map((l) => l.initialize),
    '',
  );
  const tl = lists.map((l) => l.toolsList);
  figure('MCP stdio: spawn → first tools/list answer', tl, `${ratio(tl)} node (target ≤ ${TARGET.toolsList} ms)`);
  const ms = mcpSims.map((s) => s.simulate);
  figure('MCP stdio: spawn → first simulate answer', ms, `${ratio(ms)} node (target ≤ ${TARGET.mcpSimulate} ms)`);
  console.log(`first simulate on a fresh data dir (sandbox self-test runs, no code cache yet): ${cold.ms.toFixed(1)} ms`);

  phaseTable(
    'fmu-gateway simulate msl:BouncingBall --stop 3',
    sim.map((s) => s.marks),
  );
  phaseTable(
    'fmu-gateway simulate msl:BouncingBall --stop 3, FMU_GATEWAY_CODE_CACHE=0',
    simPlain.map((s) => s.marks),
  );
  phaseTable(
    "MCP stdio, spawn → first tools/list (answered from the build's recording: src/mcp/stdio-early.ts)",
    lists.map((l) => l.marks),
  );
  phaseTable(
    'MCP stdio, spawn → first simulate',
    mcpSims.map((s) => s.marks),
  );
  phaseTable('first simulate on a fresh data dir', [cold.marks]);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
