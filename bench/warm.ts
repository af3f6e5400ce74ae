/**
 * The warm path, in one run: `simulate` of msl:BouncingBall (stop 3, defaults) once the server is
 * up and its workers are warm, on every face, each beside its baseline:
 *  - in-process: the service call `simulate()` on the same context a server builds (no transport);
 *  - MCP stdio: tools/call simulate, beside a raw JSON-RPC echo (`ping`) over the same pipe;
 *  - `serve` (SQLite store, an API key): REST POST /v2/simulate beside an authenticated
 *    GET /v2/usage?limit=1 (key lookup + one store read), and MCP Streamable HTTP tools/call
 *    beside `ping` over the same session.
 * Then the median time of each phase of one call (FMU_GATEWAY_PHASES=1, src/service/phases.ts),
 * per face; "outside the handler" is the client's time minus the handler's (transport, SDK
 * parsing and schema checks of request and answer). "main thread busy" is the server's event-loop
 * active time during the handler (calls are made one at a time, so it is each call's main-thread
 * cost: what /health and every other request wait behind).
 * Run: node --import tsx bench/warm.ts [runs] [faces]   (or `npm run bench -- warm`); faces: a
 * comma-separated subset of in-process,stdio,serve (default: all).
 */
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const RUNS = Number(process.argv[2] ?? 60);
const FACES = new Set((process.argv[3] ?? 'in-process,stdio,serve').split(','));
const REQUEST = { fmu_id: 'msl:BouncingBall', stop_time: 3 };
const PHASE_PREFIX = 'fmu-gateway phases ';
/** WARM_BENCH_CPU_PROF=<dir>: the stdio and serve processes write CPU profiles there (node --cpu-prof). */
const PROFILE_ARGS = process.env.WARM_BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WARM_BENCH_CPU_PROF}`, '--cpu-prof-interval=100']
  : [];

type Phases = Record<string, number>;

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

const rows: { label: string; samples: number[] }[] = [];
function report(label: string, samples: number[]): void {
  rows.push({ label, samples });
  console.log(
    `${label.padEnd(52)} n=${String(samples.length).padStart(3)}  p50 ${quantile(samples, 0.5).toFixed(2).padStart(7)} ms  p90 ${quantile(samples, 0.9).toFixed(2).padStart(7)} ms`,
  );
}

/** Phase lines a server writes on stderr, per face, in arrival order. */
function phaseCollector(stderr: Readable | null): { take(face: string): Phases[]; log(): string } {
  let buffered = '';
  let log = '';
  const byFace = new Map<string, Phases[]>();
  stderr?.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith(PHASE_PREFIX)) {
        const { face, ...p } = JSON.parse(line.slice(PHASE_PREFIX.length)) as { face: string } & Phases;
        byFace.set(face, [...(byFace.get(face) ?? []), p]);
      } else if (log.length < 20_000) log += `${line}\n`;
    }
  });
  return {
    take(face) {
      const out = byFace.get(face) ?? [];
      byFace.set(face, []);
      return out;
    },
    log: () => log,
  };
}

const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-warm-'));
Object.assign(env, {
  FMU_GATEWAY_DATA_DIR: dataDir,
  FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache'),
  FMU_GATEWAY_DB_PATH: join(dataDir, 'gateway.sqlite3'),
  RATE_LIMIT_PER_MINUTE: '1000000',
  KEY_CREATION_PER_HOUR: '1000000',
  FMU_GATEWAY_PHASES: '1',
});

const phaseTables: { face: string; samples: Phases[]; clientP50?: number }[] = [];

/** 1. The service call in this process: same config and context as the stdio server. */
async function inProcess(): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, env, { FMU_GATEWAY_DATA_DIR: join(dataDir, 'inproc'), FMU_GATEWAY_CACHE_DIR: join(dataDir, 'inproc-cache') });
  const { loadConfig } = await import('../src/config.ts');
  const { createGatewayContext } = await import('../src/cli/gateway-context.ts');
  const { simulate } = await import('../src/service/index.ts');
  const { createSimulateInputSchema } = await import('../src/schemas/simulate.ts');
  const { startPhaseClock } = await import('../src/service/phases.ts');
  const config = loadConfig();
  process.env = saved;
  const { ctx, warmUp, close } = await createGatewayContext(config, {
    sandbox: 'auto',
    singleCaller: true,
    openOffThread: true,
    logLevel: 'warn',
  });
  try {
    warmUp();
    const input = createSimulateInputSchema(config.limits).parse(REQUEST);
    await simulate(ctx, input);
    const times: number[] = [];
    const phases: Phases[] = [];
    for (let i = 0; i < RUNS; i++) {
      const clock = startPhaseClock();
      const t = performance.now();
      await simulate(ctx, input, { phases: clock });
      times.push(performance.now() - t);
      phases.push(clock.result());
    }
    report(`in-process simulate() (${ctx.runner.isolation.level})`, times);
    phaseTables.push({ face: 'in-process', samples: phases, clientP50: quantile(times, 0.5) });
  } finally {
    await close();
  }
}

/** 2. MCP over stdio. */
async function stdio(): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...PROFILE_ARGS, BIN, 'mcp'],
    env,
    cwd: ROOT,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'bench-warm', version: '0' });
  const collector = phaseCollector(transport.stderr as Readable | null);
  await client.connect(transport);
  try {
    const first = await client.callTool({ name: 'simulate', arguments: REQUEST });
    if (first.isError === true) throw new Error(`simulate failed: ${JSON.stringify(first.content)}\n${collector.log()}`);
    const sim: number[] = [];
    const echo: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await client.ping();
      echo.push(performance.now() - t);
      t = performance.now();
      const r = await client.callTool({ name: 'simulate', arguments: REQUEST });
      sim.push(performance.now() - t);
      if (r.isError === true) throw new Error(`simulate failed: ${JSON.stringify(r.content)}`);
    }
    report('MCP stdio: ping (JSON-RPC echo, baseline)', echo);
    report('MCP stdio: simulate', sim);
    await new Promise((r) => setTimeout(r, 50)); // the last phase lines
    // The first call (worker start) is not warm.
    phaseTables.push({ face: 'mcp stdio', samples: collector.take('mcp').slice(1), clientP50: quantile(sim, 0.5) });
  } finally {
    await client.close();
  }
}

/** 3. `serve`: REST and MCP over Streamable HTTP, with a key, SQLite store. */
async function serve(): Promise<void> {
  const child = spawn(process.execPath, [...PROFILE_ARGS, BIN, 'serve', '--port', '0', '--allow-unsandboxed'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const collector = phaseCollector(child.stderr);
  try {
    const mcpUrl = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /MCP endpoint (http:\/\/\S+\/mcp)/.exec(collector.log());
        if (m?.[1] !== undefined) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}:\n${collector.log()}`));
      });
    });
    const base = mcpUrl.replace(/\/mcp$/, '');
    const { key } = (await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string };
    const auth = { authorization: `Bearer ${key}` };
    const rest = async (): Promise<number> => {
      const t = performance.now();
      const r = await fetch(`${base}/v2/simulate`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(REQUEST),
      });
      const body = (await r.json()) as { status?: string };
      if (r.status !== 200 || body.status !== 'completed') throw new Error(`REST simulate failed: ${r.status} ${JSON.stringify(body)}`);
      return performance.now() - t;
    };
    const restEcho = async (): Promise<number> => {
      const t = performance.now();
      const r = await fetch(`${base}/v2/usage?limit=1`, { headers: auth });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`GET /v2/usage: ${r.status}`);
      return performance.now() - t;
    };
    const client = new Client({ name: 'bench-warm', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: auth } }));
    const mcp = async (): Promise<number> => {
      const t = performance.now();
      const r = await client.callTool({ name: 'simulate', arguments: REQUEST });
      if (r.isError === true) throw new Error(`MCP simulate failed: ${JSON.stringify(r.content)}`);
      return performance.now() - t;
    };
    const mcpEcho = async (): Promise<number> => {
      const t = performance.now();
      await client.ping();
      return performance.now() - t;
    };
    await rest();
    await mcp();
    collector.take('rest');
    collector.take('mcp');
    // Interleaved, so every series sees the same machine load.
    const s = { rest: [] as number[], restEcho: [] as number[], mcp: [] as number[], mcpEcho: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      s.restEcho.push(await restEcho());
      s.rest.push(await rest());
      s.mcpEcho.push(await mcpEcho());
      s.mcp.push(await mcp());
    }
    report('REST: GET /v2/usage?limit=1 (key + store read, baseline)', s.restEcho);
    report('REST: POST /v2/simulate (SQLite store, key)', s.rest);
    report('MCP Streamable HTTP: ping (JSON-RPC echo, baseline)', s.mcpEcho);
    report('MCP Streamable HTTP: simulate (key)', s.mcp);
    await new Promise((r) => setTimeout(r, 50));
    phaseTables.push({ face: 'rest', samples: collector.take('rest'), clientP50: quantile(s.rest, 0.5) });
    phaseTables.push({ face: 'mcp http', samples: collector.take('mcp'), clientP50: quantile(s.mcp, 0.5) });
    await client.close();
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Median of each phase per face (ms), in the order the phases happen. */
function printPhases(): void {
  const faces = phaseTables.filter((t) => t.samples.length > 0);
  if (faces.length === 0) return;
  const names: string[] = [];
  for (const f of faces) for (const s of f.samples) for (const k of Object.keys(s)) if (!names.includes(k) && k !== 'total') names.push(k);
  names.push('total');
  const head = 'phase (median ms)'.padEnd(34) + faces.map((f) => f.face.padStart(12)).join('');
  console.log(`\n${head}`);
  const cell = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(3)).padStart(12);
  for (const n of names) {
    console.log(
      n.padEnd(34) +
        faces
          .map((f) =>
            cell(
              quantile(
                f.samples.filter((s) => n in s).map((s) => s[n] as number),
                0.5,
              ),
            ),
          )
          .join(''),
    );
  }
  console.log(
    'client p50 − handler total'.padEnd(34) +
      faces
        .map((f) =>
          cell(
            (f.clientP50 ?? NaN) -
              quantile(
                f.samples.map((s) => s.total as number),
                0.5,
              ),
          ),
        )
        .join(''),
  );
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2-core machine: figures rise with it)`,
);
try {
  if (FACES.has('in-process')) await inProcess();
  if (FACES.has('stdio')) await stdio();
  if (FACES.has('serve')) await serve();
  printPhases();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
