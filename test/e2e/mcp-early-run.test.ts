/**
 * The stdio server's first simulate, run before the live server is up and answered by the front
 * when it is over first (src/mcp/early-runs.ts). Its answer must be the live server's, byte for
 * byte: compared here with the same call answered by the live server in the same session (after
 * the early one), and in a session with early runs off (FMU_GATEWAY_MCP_EARLY_RUN=0) — a
 * completed run with a plot, and a failed one. Only what differs between any two runs is masked:
 * the run id, its start time and its wall-clock figures. The startup trace says which path
 * answered (the positive control: the early path was really taken, and only where expected).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isPackaged, sourceStamp } from '../../bin/source-stamp.js';
import { prerequisite } from '../helpers/prereq.ts';
import { BIN, ROOT, gatewayEnv } from './mcp-harness.ts';

function bundleFresh(): string | undefined {
  if (isPackaged(ROOT)) return undefined;
  const stampFile = join(ROOT, 'build', 'cli', 'stamp.json');
  if (!existsSync(stampFile)) return 'no CLI bundle (npm run build)';
  const built = (JSON.parse(readFileSync(stampFile, 'utf8')) as { stamp?: string }).stamp;
  return built === sourceStamp(ROOT) ? undefined : 'the CLI bundle is stale (npm run build)';
}

const skip = prerequisite('a fresh CLI bundle', bundleFresh());

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e-early-run', version: '0' } },
};
const call = (id: number, args: Record<string, unknown>, extra: Record<string, unknown> = {}): object => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'simulate', arguments: args, ...extra },
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * One server: initialize, then (on its answer) `first` at once — queued while the server loads —
 * then each of `later` once the previous request was answered. Returns the raw answer lines by id.
 */
function session(
  first: object[],
  later: object[],
  extraEnv: Record<string, string> = {},
  /** Write `first` with initialize, before any answer (a scripted client). */
  atOnce = false,
): Promise<{ lines: Map<number, string>; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-early-run-'));
  dirs.push(dataDir);
  const env = gatewayEnv(dataDir, { FMU_GATEWAY_TRACE_STARTUP: '1', ...extraEnv });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = new Map<number, string>();
    const waiting = new Set<number>();
    const queue = [...later] as { id: number }[];
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no end of the session in 90 s; stderr: ${stderr}`));
    }, 90_000);
    const send = (m: object): void => {
      const id = (m as { id?: unknown }).id;
      if (typeof id === 'number') waiting.add(id);
      child.stdin.write(`${JSON.stringify(m)}\n`);
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const msg = JSON.parse(line) as { id?: unknown };
        if (typeof msg.id !== 'number') continue;
        lines.set(msg.id, line);
        waiting.delete(msg.id);
        if (msg.id === 1 && !atOnce) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          for (const m of first) send(m);
        }
        if (waiting.size > 0) continue;
        const next = queue.shift();
        if (next !== undefined) send(next);
        else child.stdin.end();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ lines, stderr });
    });
    send(INIT);
    if (atOnce) {
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      for (const m of first) send(m);
    }
  });
}

/**
 * A session whose first simulate was answered early. On a loaded machine the server may be up
 * before the run is over (it then takes the run: a correct answer, but not the path under test):
 * tried again, a few times.
 */
async function earlySession(first: object[], later: object[]): Promise<{ lines: Map<number, string>; stderr: string }> {
  let last: { lines: Map<number, string>; stderr: string } | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    last = await session(first, later);
    if (earlyAnswered(last.stderr) > 0) return last;
  }
  assert.fail(`the first simulate was never answered early in 4 sessions; last stderr:\n${last?.stderr ?? ''}`);
}

/** The answer with what differs between two runs of the same call masked, under the id `asId`. */
function masked(line: string | undefined, asId: number): string {
  assert.ok(line !== undefined, 'no answer');
  const msg = JSON.parse(line) as { result?: { structuredContent?: { run_id?: unknown } } };
  let s = line;
  const runId = msg.result?.structuredContent?.run_id;
  if (typeof runId === 'string') s = s.replaceAll(runId, '<run>');
  return s
    .replace(/"started_at":"[^"]*"/g, '"started_at":"<t>"')
    .replace(/"wall_ms":[0-9.e+-]+/g, '"wall_ms":0')
    .replace(/(FMI [23]\.0 (?:CS|ME)(?:, solver [a-z0-9]+)?), \d+ ms\)/g, '$1, <n> ms)')
    .replace(/"id":\d+\}$/, `"id":${asId}}`);
}

const earlyAnswered = (stderr: string): number => stderr.split('\n').filter((l) => l.endsWith(' mcp: early simulate answered')).length;
const earlyStarted = (stderr: string): number => stderr.split('\n').filter((l) => l.endsWith(' mcp: early simulate started')).length;

describe('mcp stdio: the first simulate answered before the live server is up', { skip, timeout: 240_000 }, () => {
  const RUN = { fmu_id: 'msl:BouncingBall', stop_time: 3, plot: true };

  it('a completed run (with its plot): the early answer is the live answer, byte for byte', async () => {
    const early = await earlySession([call(2, RUN)], [call(3, RUN)]);
    const live = await session([call(2, RUN)], [], { FMU_GATEWAY_MCP_EARLY_RUN: '0' });
    // Positive control: the early path answered id 2 (and only it), and not with early runs off.
    assert.equal(earlyAnswered(early.stderr), 1, early.stderr);
    assert.equal(earlyStarted(live.stderr), 0, live.stderr);
    const first = early.lines.get(2);
    assert.ok(first !== undefined && first.includes('"status":"completed"') && first.includes('"type":"image"'), first);
    assert.equal(masked(first, 2), masked(early.lines.get(3), 2), 'the early answer differs from the same call answered live later');
    assert.equal(masked(first, 2), masked(live.lines.get(2), 2), 'the early answer differs from a live-only server');
  });

  it('a failed run: the same coded error result as the live server, byte for byte', async () => {
    const bad = { fmu_id: 'msl:NoSuchModel', stop_time: 1 };
    const early = await earlySession([call(2, bad)], []);
    const live = await session([call(2, bad)], [], { FMU_GATEWAY_MCP_EARLY_RUN: '0' });
    assert.equal(earlyAnswered(early.stderr), 1, early.stderr);
    const line = early.lines.get(2);
    assert.ok(line !== undefined && line.includes('"isError":true') && line.includes('NOT_FOUND'), line);
    assert.equal(line, live.lines.get(2));
  });

  it('without a recorded handshake the run still starts early, and the server takes it: answers in order, the same bytes', async () => {
    // FMU_GATEWAY_MCP_EARLY=0: initialize waits for the live server, so nothing may be answered before it.
    const env = { FMU_GATEWAY_MCP_EARLY: '0' };
    const taken = await session([call(2, RUN)], [call(3, RUN)], env, true);
    assert.equal(earlyStarted(taken.stderr), 1, taken.stderr);
    assert.equal(earlyAnswered(taken.stderr), 0, taken.stderr);
    const order = taken.stderr
      .split('\n')
      .filter((l) => / mcp: answer to id \d+ written$/.test(l))
      .map((l) => Number(/id (\d+)/.exec(l)?.[1]));
    assert.deepEqual(order.slice(0, 2), [1, 2], taken.stderr);
    assert.equal(masked(taken.lines.get(2), 2), masked(taken.lines.get(3), 2), 'the taken run answers like a live one');
  });

  it('a call the live server must see (progress token, or after another request) is not run early, and is answered', async () => {
    const withProgress = call(2, { fmu_id: 'msl:BouncingBall', stop_time: 1 }, { _meta: { progressToken: 'p' } });
    const a = await session([withProgress], []);
    assert.equal(earlyStarted(a.stderr), 0, a.stderr);
    assert.match(a.lines.get(2) ?? '', /"status":"completed"/);
    // After an upload-like request (here: get_variables), a simulate may depend on it: not early.
    const first = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'get_variables', arguments: { fmu_id: 'msl:BouncingBall' } },
    };
    const b = await session([first, call(3, { fmu_id: 'msl:BouncingBall', stop_time: 1 })], []);
    assert.equal(earlyStarted(b.stderr), 0, b.stderr);
    assert.match(b.lines.get(3) ?? '', /"status":"completed"/);
  });
});
