/**
 * MCP over stdio, measured in one run:
 *  - spawn → initialize answer (process start, module loading, handshake; the pool starts after it),
 *    and spawn → the first tools/list answer;
 *  - median / p95 latency of `simulate` msl:BouncingBall (stop 3) over one warm server;
 *  - the same simulation through the CLI, one process spawned per run, for comparison.
 * Run: node --import tsx bench/mcp.ts [runs]   (or `npm run bench -- mcp`)
 */
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const RUNS = Number(process.argv[2] ?? 30);
const CLI_RUNS = Math.max(3, Math.round(RUNS / 3));
const REQUEST = { fmu_id: 'msl:BouncingBall', stop_time: 3 };

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function report(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} n=${String(s.length).padStart(3)}  median ${quantile(s, 0.5).toFixed(1).padStart(7)} ms  p95 ${quantile(s, 0.95).toFixed(1).padStart(7)} ms`,
  );
}

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-mcp-'));
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
Object.assign(env, { FMU_GATEWAY_DATA_DIR: dataDir, FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache') });

try {
  // 1. spawn → initialize answer
  const t0 = performance.now();
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env, cwd: ROOT, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(transport);
  const initMs = performance.now() - t0;
  console.log(`${'spawn → initialize answer (stdio)'.padEnd(44)} ${initMs.toFixed(1)} ms`);
  // The pool starts right after the handshake; a tools/list right away shows what a client waits for.
  await client.listTools();
  console.log(`${'spawn → tools/list answer'.padEnd(44)} ${(performance.now() - t0).toFixed(1)} ms`);

  // 2. simulate over MCP: first call apart (FMU unpack + worker load), then warm calls.
  const first = performance.now();
  const r0 = await client.callTool({ name: 'simulate', arguments: REQUEST });
  const firstMs = performance.now() - first;
  if (r0.isError === true) throw new Error(`simulate failed: ${JSON.stringify(r0.content)}`);
  console.log(`${'MCP simulate BouncingBall, first call'.padEnd(44)} ${firstMs.toFixed(1)} ms`);
  const mcp: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await client.callTool({ name: 'simulate', arguments: REQUEST });
    mcp.push(performance.now() - t);
    if (r.isError === true) throw new Error(`simulate failed: ${JSON.stringify(r.content)}`);
  }
  report('MCP simulate BouncingBall stop 3 (warm)', mcp);
  await client.close();

  // 3. the CLI, a process per run
  const cli: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, 'simulate', 'msl:BouncingBall', '--stop', '3', '--json'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    cli.push(performance.now() - t);
    if (r.status !== 0) {
      console.log(`CLI simulate failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      cli.length = 0;
      break;
    }
  }
  if (cli.length > 0) report('CLI simulate BouncingBall stop 3 (spawn/run)', cli);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
