/**
 * The MCP face on SDK v2, seen by clients of every protocol generation: an SDK v2 client speaking
 * spec 2026-07-28 (no initialize handshake, per-request envelope) and an SDK v1 client (2025-11-25)
 * both list the tools and run simulate, over stdio and over HTTP; a raw 2025-06-18 handshake is
 * answered in kind; an over-long stdio line is refused with a JSON-RPC error and the server keeps
 * serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, ROOT, gatewayEnv, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const SIM = { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01 };

interface Listed {
  tools: { name: string }[];
}
interface Called {
  structuredContent?: unknown;
  isError?: boolean;
}

async function listsAndSimulates(client: { listTools: () => Promise<Listed>; callTool: (p: never, ...rest: never[]) => Promise<unknown> }) {
  const { tools } = await client.listTools();
  assert.ok(
    tools.some((t) => t.name === 'simulate'),
    `tools: ${tools.map((t) => t.name).join(', ')}`,
  );
  const r = (await client.callTool({ name: 'simulate', arguments: SIM } as never)) as Called;
  assert.notEqual(r.isError, true, JSON.stringify(r).slice(0, 500));
  const s = r.structuredContent as { status: string; rows: number; summary: Record<string, { max: number }> };
  assert.equal(s.status, 'completed');
  assert.equal(s.rows, 101);
  // The ball starts at h = 1 and never rises above it.
  assert.ok(Math.abs((s.summary.h?.max ?? NaN) - 1) < 1e-9, JSON.stringify(s.summary.h));
}

describe('MCP over stdio, clients of SDK v2 (spec 2026-07-28) and v1 (2025-11-25)', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-v2-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('an SDK v2 client negotiates 2026-07-28, lists the tools and runs simulate with progress', async () => {
    const client = new ClientV2({ name: 'e2e-v2', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    const transport = new StdioTransportV2({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: gatewayEnv(dataDir),
      cwd: ROOT,
      stderr: 'ignore',
    });
    await client.connect(transport);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      await listsAndSimulates(client as never);
      const progress: number[] = [];
      const r = await client.callTool(
        { name: 'simulate', arguments: { fmu_id: 'msl:Dahlquist', stop_time: 10, step: 0.001 } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      assert.equal((r.structuredContent as { status: string }).status, 'completed');
      assert.ok(progress.length >= 1 && progress.at(-1) === 1, `progress: ${progress.join(', ')}`);
    } finally {
      await client.close();
    }
  });

  it('an SDK v1 client (2025-11-25 handshake) lists the tools and runs simulate', async () => {
    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    const transport = new StdioTransportV1({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: gatewayEnv(dataDir),
      cwd: ROOT,
      stderr: 'ignore',
    });
    await client.connect(transport);
    try {
      await listsAndSimulates(client as never);
    } finally {
      await client.close();
    }
  });

  it('answers a raw 2025-06-18 initialize in kind, refuses a 20 MB line with a JSON-RPC error and keeps serving', async () => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env: gatewayEnv(dataDir), stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const replies = (): { id?: unknown; result?: Record<string, unknown>; error?: { code: number; data?: Record<string, unknown> } }[] =>
        out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as never);
      const waitFor = async (id: number): Promise<(typeof replies extends () => (infer R)[] ? R : never) | undefined> => {
        for (let i = 0; i < 600; i++) {
          const r = replies().find((m) => m.id === id);
          if (r !== undefined) return r;
          await new Promise((res) => setTimeout(res, 50));
        }
        return undefined;
      };
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const send = (m: object): boolean => child.stdin.write(`${JSON.stringify(m)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      });
      const init = await waitFor(1);
      assert.equal(init?.result?.protocolVersion, '2025-06-18');
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      // 20 MB of base64 in one line, the id last (as the SDK serializes requests).
      const big = `{"method":"tools/call","params":{"name":"upload_fmu","arguments":{"content_base64":"${'A'.repeat(20 * 1024 * 1024)}"}},"jsonrpc":"2.0","id":7}\n`;
      child.stdin.write(big);
      send({ jsonrpc: '2.0', id: 8, method: 'tools/list' });
      const refused = await waitFor(7);
      assert.equal(refused?.error?.code, -32600, JSON.stringify(refused));
      assert.equal(refused?.error?.data?.code, 'PAYLOAD_TOO_LARGE');
      const listed = await waitFor(8);
      assert.ok(Array.isArray(listed?.result?.tools), 'the server answers the next request');
      assert.equal(child.exitCode, null, 'the server is still running');
      // A line that is not JSON: a parse error, and still serving.
      child.stdin.write('not json\n');
      send({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
      assert.ok((await waitFor(9))?.result !== undefined);
      assert.ok(replies().some((m) => m.id === null && m.error?.code === -32700));
      child.stdin.end();
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('MCP over HTTP, clients of SDK v2 (spec 2026-07-28) and v1 (2025-11-25)', () => {
  let http: HttpGateway;
  before(async () => {
    http = await startHttpGateway();
  });
  after(async () => {
    await http?.close();
  });

  it('an SDK v2 client negotiates 2026-07-28, lists the tools and runs simulate', async () => {
    const client = new ClientV2({ name: 'e2e-v2-http', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new HttpTransportV2(new URL(http.url)));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      await listsAndSimulates(client as never);
    } finally {
      await client.close();
    }
  });

  it('an SDK v1 client lists the tools and runs simulate', async () => {
    const client = new ClientV1({ name: 'e2e-v1-http', version: '0' });
    await client.connect(new HttpTransportV1(new URL(http.url)));
    try {
      assert.equal(client.getServerVersion()?.name, 'fmu-gateway');
      await listsAndSimulates(client as never);
    } finally {
      await client.close();
    }
  });
});
