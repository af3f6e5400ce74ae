/**
 * What a fixed agent session costs in context: the characters an MCP client receives for the three
 * task scripts of AI_AGENT_GUIDE.md ("Context cost"), run against the gateway of a package root
 * (default: this one). Before/after: run it once with --root pointing at a checkout of an earlier
 * commit (its node_modules linked), once without.
 *
 *   node --import tsx tools/agent-context.ts [--root /path/to/checkout]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

type Call = { name: string; arguments: Record<string, unknown> };

/** The three scripts; a `$run` argument is the run_id (or the run_ids) of the previous call. */
export const TASKS: { name: string; calls: Call[] }[] = [
  {
    name: 'A: find, inspect, run and read a model (the worked session)',
    calls: [
      { name: 'list_library', arguments: { query: 'ball' } },
      { name: 'get_variables', arguments: { fmu_id: 'msl:BouncingBall' } },
      { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, kpis: ['h_max'], plot: true } },
      { name: 'get_result', arguments: { run_id: '$run' } },
      { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, start_values: { elasticity: 0.5 } } },
    ],
  },
  {
    name: 'B: drive a DC motor with input signals, KPIs and a plot',
    calls: [
      { name: 'get_variables', arguments: { fmu_id: 'msl:DCMotor' } },
      {
        name: 'simulate',
        arguments: {
          fmu_id: 'msl:DCMotor',
          stop_time: 3,
          step: 0.01,
          start_values: { b: 0.2 },
          input_signals: [{ name: 'V', time: [0, 1, 1, 3], values: [0, 0, 12, 12] }],
          outputs: ['w', 'i'],
          kpis: ['w_rise_time', 'w_overshoot', 'w_settling_time'],
          plot: true,
        },
      },
    ],
  },
  {
    name: 'C: sweep a parameter, then compare the runs',
    calls: [
      {
        name: 'sweep',
        arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, parameters: [{ name: 'e', values: [0.5, 0.7, 0.9] }], plot: true },
      },
      { name: 'compare_runs', arguments: { run_ids: '$runs', plot: true } },
    ],
  },
];

const argv = process.argv.slice(2);
const rootArg = argv.indexOf('--root');
const root = resolve(rootArg === -1 ? join(import.meta.dirname, '..') : (argv[rootArg + 1] ?? '.'));

async function session(run: (c: Client) => Promise<number>): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-ctx-'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(root, 'bin', 'fmu-gateway.js'), 'mcp'],
    env: {
      ...env,
      FMU_GATEWAY_DATA_DIR: dataDir,
      FMU_GATEWAY_DB_PATH: join(dataDir, 'db.sqlite3'),
      FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache'),
    },
    cwd: root,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'agent-context', version: '0' });
  await client.connect(transport);
  try {
    return await run(client);
  } finally {
    await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const size = (v: unknown): number => JSON.stringify(v).length;

const overhead = await session(async (c) => {
  const tools = size(await c.listTools());
  const resources = size(await c.listResources());
  const instructions = (c.getInstructions() ?? '').length;
  process.stdout.write(`session: instructions ${instructions}, tools/list ${tools}, resources/list ${resources}\n`);
  return instructions + tools + resources;
});
let total = 0;
for (const task of TASKS) {
  const chars = await session(async (c) => {
    let sum = 0;
    let runs: string[] = [];
    for (const call of task.calls) {
      const args = { ...call.arguments };
      if (args.run_id === '$run') args.run_id = runs[0];
      if (args.run_ids === '$runs') args.run_ids = runs;
      const r = (await c.callTool({ name: call.name, arguments: args })) as { structuredContent?: Record<string, unknown> };
      const sc = r.structuredContent ?? {};
      if (typeof sc.run_id === 'string') runs = [sc.run_id];
      else if (Array.isArray(sc.runs)) runs = (sc.runs as { run_id?: string }[]).flatMap((x) => (x.run_id === undefined ? [] : [x.run_id]));
      const n = size(r);
      process.stdout.write(`  ${call.name}: ${n}\n`);
      sum += n;
    }
    return sum;
  });
  process.stdout.write(`${task.name}: ${chars} characters (+ ${overhead} per session)\n`);
  total += chars + overhead;
}
process.stdout.write(`total characters returned, three tasks: ${total}\n`);
