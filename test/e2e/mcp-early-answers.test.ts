/**
 * The stdio server's early answers (src/mcp/stdio-early.ts): `initialize` and the first
 * `tools/list` come from build/cli/mcp-early.json, recorded at build time from the real server
 * (tools/build-mcp-early.ts), while the SDK and the tools load. Checked here against live servers
 * (FMU_GATEWAY_MCP_EARLY=0): the recording equals the live answers exactly, a client of the
 * early path sees exactly what a client of the live server sees (and the session then works:
 * the server got the handshake replayed), a stale recording is corrected by
 * notifications/tools/list_changed, and a listing variable set in the environment turns the
 * recording off.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPackaged, sourceStamp } from '../../bin/source-stamp.js';
import { EARLY_ANSWERS_FILE, type EarlyAnswersFile } from '../../src/mcp/stdio-early.ts';
import { liveAnswers, recordingEnv } from '../../tools/build-mcp-early.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { BIN, ROOT, gatewayEnv } from './mcp-harness.ts';

type Message = { id?: number | string; method?: string; result?: Record<string, unknown>; error?: unknown };

function bundleFresh(): string | undefined {
  if (!existsSync(EARLY_ANSWERS_FILE)) return 'build/cli/mcp-early.json is missing (npm run build)';
  if (isPackaged(ROOT)) return undefined;
  const built = (JSON.parse(readFileSync(join(ROOT, 'build', 'cli', 'stamp.json'), 'utf8')) as { stamp?: string }).stamp;
  return built === sourceStamp(ROOT) ? undefined : 'the CLI bundle is stale (npm run build)';
}

const skip = prerequisite('a fresh CLI bundle with its recorded MCP answers', bundleFresh());

/**
 * A scripted client on raw JSON-RPC lines: each step is sent once the previous request was
 * answered; every line the server writes is kept, in order.
 */
function session(env: Record<string, string>, steps: object[]): Promise<{ messages: Message[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const messages: Message[] = [];
    let out = '';
    let stderr = '';
    let next = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no end of the session in 90 s; stderr: ${stderr}`));
    }, 90_000);
    const sendUntilRequest = (): void => {
      while (next < steps.length) {
        const step = steps[next++] as { id?: unknown };
        child.stdin.write(`${JSON.stringify(step)}\n`);
        if (step.id !== undefined) return;
      }
      child.stdin.end();
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const m = JSON.parse(out.slice(0, nl)) as Message;
        out = out.slice(nl + 1);
        messages.push(m);
        if (m.id !== undefined) sendUntilRequest();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ messages, stderr });
      else reject(new Error(`mcp exited ${code}; stderr: ${stderr}`));
    });
    sendUntilRequest();
  });
}

const initialize = (version = '2025-06-18') => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'early-test', version: '0' } },
});
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const toolsList = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const answerTo = (messages: Message[], id: number): Message[] => messages.filter((m) => m.id === id && m.method === undefined);

describe('MCP stdio early answers', { skip, timeout: 300_000 }, () => {
  let dataDir: string;
  let recorded: EarlyAnswersFile;
  let live: { initialize: unknown; toolsList: unknown };
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-early-'));
    recorded = JSON.parse(readFileSync(EARLY_ANSWERS_FILE, 'utf8')) as EarlyAnswersFile;
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('the recording equals the live server, exactly, for every protocol version recorded', async () => {
    assert.ok(Object.keys(recorded.initialize).includes('2025-06-18'));
    for (const version of Object.keys(recorded.initialize)) {
      const a = await liveAnswers(version, recordingEnv(dataDir), BIN);
      assert.deepStrictEqual(recorded.initialize[version], a.initialize, `initialize ${version}`);
      assert.deepStrictEqual(recorded.toolsList, a.toolsList, `tools/list after initialize ${version}`);
      if (version === '2025-06-18') live = a;
    }
  });

  it('a client of the early path gets the live answers, one answer per request, then a working session', async () => {
    assert.ok(live !== undefined, 'the previous test recorded the live answers');
    const call = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, max_points: 2 } },
    };
    const { messages, stderr } = await session(gatewayEnv(dataDir, { FMU_GATEWAY_TRACE_STARTUP: '1' }), [
      initialize(),
      initialized,
      toolsList(2),
      call,
    ]);
    // The early path was taken (positive evidence, not just a working session).
    assert.match(stderr, /mcp: early answers: recorded answers apply/);
    assert.doesNotMatch(stderr, /differs from the live one/);
    assert.deepEqual(
      messages.map((m) => m.id ?? m.method),
      [1, 2, 3],
    );
    assert.deepStrictEqual(answerTo(messages, 1)[0]?.result, live.initialize);
    assert.deepStrictEqual(answerTo(messages, 2)[0]?.result, live.toolsList);
    // The server saw the replayed handshake: the tool call is served like any other.
    const structured = answerTo(messages, 3)[0]?.result?.structuredContent as { status?: string; rows?: number } | undefined;
    assert.equal(structured?.status, 'completed');
  });

  it('a stale recording is corrected: the client is told the list changed, and lists the live tools', async () => {
    const stale = structuredClone(recorded) as EarlyAnswersFile & { toolsList: { tools: { name: string; description?: string }[] } };
    const simulate = stale.toolsList.tools.find((t) => t.name === 'simulate');
    assert.ok(simulate !== undefined);
    simulate.description = 'a description the live server does not have';
    const file = join(dataDir, 'stale-early.json');
    writeFileSync(file, JSON.stringify(stale));
    const { messages, stderr } = await session(gatewayEnv(dataDir, { FMU_GATEWAY_MCP_EARLY_FILE: file }), [
      initialize(),
      initialized,
      toolsList(2),
      // Sent once 2 is answered; the notification comes when the real server has been checked.
      { jsonrpc: '2.0', id: 4, method: 'ping' },
      toolsList(5),
    ]);
    assert.deepStrictEqual(answerTo(messages, 2)[0]?.result, stale.toolsList, 'the stale recording was served first');
    assert.ok(
      messages.some((m) => m.method === 'notifications/tools/list_changed'),
      `list_changed sent; got ${JSON.stringify(messages.map((m) => m.id ?? m.method))}`,
    );
    assert.match(stderr, /recorded tools\/list differs from the live one/);
    assert.deepStrictEqual(answerTo(messages, 5)[0]?.result, live.toolsList, 'the second list is the live one');
  });

  it('a variable that shapes the listing turns the recording off (and does change the listing)', async () => {
    const env = gatewayEnv(dataDir, { MAX_FMU_MB: '7', FMU_GATEWAY_TRACE_STARTUP: '1' });
    const { messages, stderr } = await session(env, [initialize(), initialized, toolsList(2)]);
    assert.match(stderr, /mcp: early answers: MAX_FMU_MB differs from the recording/);
    const list = answerTo(messages, 2)[0]?.result;
    assert.notDeepStrictEqual(list, recorded.toolsList, 'the limit shows in the listing: the recording would have been wrong');
    const direct = await session({ ...env, FMU_GATEWAY_MCP_EARLY: '0' }, [initialize(), initialized, toolsList(2)]);
    assert.deepStrictEqual(list, answerTo(direct.messages, 2)[0]?.result);
  });
});
