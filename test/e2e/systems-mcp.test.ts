/**
 * upload_system / simulate_system through a real MCP client over stdio: an SSP archive by path,
 * then the system simulated; structured content validates against the tool's output schema (the
 * SDK client checks it); an algebraic loop comes back as a coded error result. Also the size the
 * two tools add to tools/list.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { buildFixture } from '../helpers/fixtures.ts';
import { quarterCarSsp } from '../helpers/ssp-craft.ts';
import { startStdioGateway, type StdioGateway } from './mcp-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-systems-mcp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('systems over MCP (stdio)', { timeout: 240_000 }, () => {
  let gw: StdioGateway;
  let ssp = '';
  before(async () => {
    ssp = join(dir, 'qc.ssp');
    writeFileSync(
      ssp,
      quarterCarSsp(await buildFixture('sys-body', '3.0'), await buildFixture('sys-wheel', '2.0'), { bodyParams: { m_s: 280 } }),
    );
    gw = await startStdioGateway();
  });
  after(async () => {
    await gw?.close();
  });

  it('lists the two tools with small descriptions', async () => {
    const { tools } = await gw.client.listTools();
    const mine = tools.filter((t) => t.name === 'upload_system' || t.name === 'simulate_system');
    assert.equal(mine.length, 2);
    const chars = JSON.stringify({ tools: mine }).length;
    process.stderr.write(
      `upload_system + simulate_system add ${chars} characters to tools/list (all tools: ${JSON.stringify({ tools }).length})\n`,
    );
    for (const t of mine) assert.ok((t.description ?? '').length <= 260, `${t.name}: ${t.description?.length}`);
  });

  it('uploads an SSP by path and simulates it', async () => {
    const up = (await gw.client.callTool({ name: 'upload_system', arguments: { path: ssp } })) as CallToolResult;
    assert.notEqual(up.isError, true, JSON.stringify(up.content));
    const id = (up.structuredContent as { system_id: string }).system_id;
    const run = (await gw.client.callTool({
      name: 'simulate_system',
      arguments: { system_id: id, step: 0.05, interface: 'ME', outputs: ['body.z_s'], kpis: ['body.z_s_max'] },
    })) as CallToolResult;
    assert.notEqual(run.isError, true, JSON.stringify(run.content));
    const out = run.structuredContent as {
      status: string;
      rows: number;
      kpis: Record<string, number>;
      provenance: { start_values: Record<string, number> };
    };
    assert.equal(out.status, 'completed');
    assert.equal(out.rows, 61);
    assert.ok(out.kpis['body.z_s_max']! > 0.05);
    assert.equal(out.provenance.start_values['body.m_s'], 280);
  });

  it('answers a hostile archive and an unknown system id with coded error results', async () => {
    const bad = join(dir, 'bad.ssp');
    writeFileSync(bad, Buffer.from('not a zip at all'));
    const up = (await gw.client.callTool({ name: 'upload_system', arguments: { path: bad } })) as CallToolResult;
    assert.equal(up.isError, true);
    assert.equal((up.structuredContent as { error: { code: string } }).error.code, 'SYSTEM_INVALID');
    const r = (await gw.client.callTool({
      name: 'simulate_system',
      arguments: { system_id: `system:${'0'.repeat(64)}`, stop_time: 1 },
    })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.equal((r.structuredContent as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});
