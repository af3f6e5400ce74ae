/**
 * The hosted gateway's faces, measured in one run over one `serve` process (SQLite store, a key):
 *  - REST POST /simulate msl:BouncingBall (stop 3), median / p95 of warm calls;
 *  - the same call as MCP tools/call over Streamable HTTP at /mcp, same key, same server;
 *  - POST /keys (a store write awaited before the answer), for the cost of the account layer.
 * Run: node --import tsx bench/rest.ts [runs]   (or `npm run bench -- rest`)
 */
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveEnv } from './serve-env.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const RUNS = Number(process.argv[2] ?? 30);
const REQUEST = { fmu_id: 'msl:BouncingBall', stop_time: 3 };

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function report(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} n=${String(s.length).padStart(3)}  p50 ${quantile(s, 0.5).toFixed(1).padStart(7)} ms  p95 ${quantile(s, 0.95).toFixed(1).padStart(7)} ms`,
  );
}

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-rest-'));
const env = serveEnv(dataDir);

const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--allow-unsandboxed'], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'ignore', 'pipe'],
});
try {
  const mcpUrl = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /MCP endpoint (http:\/\/\S+\/mcp)/.exec(log);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
  const base = mcpUrl.replace(/\/mcp$/, '');
  const keys: number[] = [];
  let key = '';
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await fetch(`${base}/keys`, { method: 'POST' });
    keys.push(performance.now() - t);
    key = ((await r.json()) as { key: string }).key;
  }
  const auth = { authorization: `Bearer ${key}` };
  const rest = async (): Promise<number> => {
    const t = performance.now();
    const r = await fetch(`${base}/simulate`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(REQUEST),
    });
    const body = (await r.json()) as { status?: string };
    if (r.status !== 200 || body.status !== 'completed') throw new Error(`REST simulate failed: ${r.status} ${JSON.stringify(body)}`);
    return performance.now() - t;
  };
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: auth } }));
  const mcp = async (): Promise<number> => {
    const t = performance.now();
    const r = await client.callTool({ name: 'simulate', arguments: REQUEST });
    if (r.isError === true) throw new Error(`MCP simulate failed: ${JSON.stringify(r.content)}`);
    return performance.now() - t;
  };
  console.log(`${'REST simulate BouncingBall, first call'.padEnd(44)} ${(await rest()).toFixed(1)} ms`);
  await mcp();
  // Interleaved, so both see the same machine load.
  const restMs: number[] = [];
  const mcpMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    restMs.push(await rest());
    mcpMs.push(await mcp());
  }
  report('REST POST /simulate BouncingBall stop 3', restMs);
  report('MCP /mcp simulate BouncingBall stop 3', mcpMs);
  report('REST POST /keys (awaited SQLite write)', keys);
  await client.close();
} finally {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
}
