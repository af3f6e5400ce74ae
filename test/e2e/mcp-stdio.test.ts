/**
 * The stdio MCP server as a client sees it: `node bin/fmu-gateway.js mcp` spawned by the SDK's
 * StdioClientTransport, one server for the whole file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  BIN,
  ROOT,
  LONG_RUN,
  buildUploadFixture,
  gatewayEnv,
  dcMotorSpeed,
  parseCsv,
  startStdioGateway,
  type StdioGateway,
} from './mcp-harness.ts';

type Structured = Record<string, unknown> & { status: string };

function structured(r: unknown): Structured {
  const s = (r as CallToolResult).structuredContent;
  assert.ok(s !== undefined, 'structuredContent is present');
  return s as Structured;
}

describe('MCP over stdio', { timeout: 120_000 }, () => {
  let gw: StdioGateway;
  let fixtureDir: string;
  let fmuPath: string;
  before(async () => {
    fixtureDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-fixture-'));
    [gw, fmuPath] = await Promise.all([startStdioGateway(), buildUploadFixture(fixtureDir)]);
  });
  after(async () => {
    await gw?.close();
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  it('lists the tools (no payment tools while payments are off), each with annotations', async () => {
    const { tools } = await gw.client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, [
      'compare_runs',
      'get_result',
      'get_variables',
      'list_library',
      'report',
      'simulate',
      'simulate_system',
      'sweep',
      'upload_fmu',
      'upload_system',
    ]);
    for (const t of tools) {
      assert.ok((t.description ?? '').length > 80, `${t.name} has an agent-oriented description`);
      assert.ok(t.annotations !== undefined, `${t.name} has annotations`);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.equal(byName.get('list_library')?.annotations?.readOnlyHint, true);
    // readOnlyHint false is the MCP default, left out of tools/list; destructiveHint is not.
    assert.notEqual(byName.get('simulate')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('simulate')?.annotations?.destructiveHint, false);
  });

  it('list_library finds a built-in model by a word of its description', async () => {
    const r = await gw.client.callTool({ name: 'list_library', arguments: { query: 'motor' } });
    assert.notEqual(r.isError, true);
    const s = structured(r) as Structured & { models: { id: string; counts: { inputs: number } }[] };
    assert.equal(s.status, 'ok');
    const motor = s.models.find((m) => m.id === 'msl:DCMotor');
    assert.ok(motor, 'msl:DCMotor is listed');
    assert.equal(motor.counts.inputs, 2);
  });

  it('get_variables reports inputs with units and links the model description resource', async () => {
    const r = await gw.client.callTool({ name: 'get_variables', arguments: { fmu_id: 'msl:DCMotor', causality: 'input' } });
    const s = structured(r) as Structured & { variables: { name: string; unit?: string; causality: string }[] };
    assert.equal(s.status, 'ok');
    assert.deepEqual(s.variables.map((v) => v.name).sort(), ['V', 'tau_load']);
    assert.equal(s.variables.find((v) => v.name === 'V')?.unit, 'V');
    const link = (r.content as CallToolResult['content']).find((c) => c.type === 'resource_link');
    assert.equal(link?.type === 'resource_link' ? link.uri : undefined, 'fmu-gateway://library/DCMotor');
    const res = await gw.client.readResource({ uri: 'fmu-gateway://library/DCMotor' });
    const first = res.contents[0];
    const desc = JSON.parse(first !== undefined && 'text' in first ? first.text : '{}') as { variables: unknown[] };
    assert.ok(desc.variables.length >= 11);
  });

  it('simulates with a start value and an input signal; summary and CSV resource agree with the closed form', async () => {
    const b = 0.2;
    const volts = 6;
    const r = await gw.client.callTool({
      name: 'simulate',
      arguments: {
        fmu_id: 'msl:DCMotor',
        stop_time: 5,
        step: 0.01,
        start_values: { b },
        input_signals: [{ name: 'V', time: [0, 5], values: [volts, volts] }],
        outputs: ['w', 'i'],
        kpis: ['w_max'],
      },
    });
    assert.notEqual(r.isError, true, JSON.stringify(r.content));
    const s = structured(r) as Structured & {
      run_id: string;
      rows: number;
      result_uri: string;
      summary: Record<string, { final: number }>;
    };
    assert.equal(s.status, 'completed');
    // Independent reference: the closed-form step response of the linear motor (see mcp-harness).
    const expected = dcMotorSpeed({ V: volts, b, t: 5 });
    const final = s.summary.w?.final ?? NaN;
    assert.ok(Math.abs(final - expected) <= 1e-3 * expected, `w(5) = ${final}, closed form ${expected} (rel tol 1e-3)`);
    assert.equal(s.result_uri, `fmu-gateway://runs/${s.run_id}/result.csv`);

    const res = await gw.client.readResource({ uri: s.result_uri });
    const c = res.contents[0];
    assert.equal(c?.mimeType, 'text/csv');
    const csv = parseCsv(c !== undefined && 'text' in c ? c.text : '');
    assert.deepEqual(csv.header, ['time', 'w', 'i']);
    assert.equal(csv.rows.length, s.rows);
    const last = csv.rows[csv.rows.length - 1] ?? [];
    assert.equal(last[0], 5);
    assert.ok(Math.abs((last[1] ?? NaN) - final) < 1e-12, 'CSV last row = summary final');
  });

  it('uploads an FMU by local path and simulates it against the closed form x0 exp(-k t)', async () => {
    const up = await gw.client.callTool({ name: 'upload_fmu', arguments: { path: fmuPath } });
    const u = structured(up) as Structured & { fmu_id: string; model_name: string };
    assert.equal(u.status, 'ok', JSON.stringify(up.content));
    assert.match(u.fmu_id, /^sha256:[0-9a-f]{64}$/);
    const again = structured(await gw.client.callTool({ name: 'upload_fmu', arguments: { path: fmuPath } })) as Structured & {
      fmu_id: string;
      already_stored: boolean;
    };
    assert.equal(again.fmu_id, u.fmu_id, 'same bytes, same id');
    assert.equal(again.already_stored, true);

    const res = await gw.client.readResource({ uri: `fmu-gateway://fmus/${u.fmu_id.slice(7)}` });
    const c = res.contents[0];
    assert.equal((JSON.parse(c !== undefined && 'text' in c ? c.text : '{}') as { model_name: string }).model_name, u.model_name);

    const k = 0.5;
    const r = await gw.client.callTool({
      name: 'simulate',
      arguments: { fmu_id: u.fmu_id, stop_time: 4, step: 0.01, start_values: { k }, plot: true },
    });
    const s = structured(r) as Structured & { summary: Record<string, { final: number }> };
    assert.equal(s.status, 'completed', JSON.stringify(r.content));
    const expected = Math.exp(-k * 4);
    assert.ok(
      Math.abs((s.summary.x?.final ?? NaN) - expected) <= 1e-4,
      `x(4) = ${s.summary.x?.final}, closed form ${expected} (abs tol 1e-4)`,
    );
    // The plot: an inline PNG within the 25,000-character budget, or left out with a note saying so.
    const image = (r.content as CallToolResult['content']).find((b) => b.type === 'image');
    const text = (r.content as CallToolResult['content']).map((b) => (b.type === 'text' ? b.text : '')).join('\n');
    if (image === undefined) assert.match(text, /Plot left out: \d+ characters of PNG/);
    else {
      assert.equal(image.type === 'image' ? image.mimeType : undefined, 'image/png');
      const png = Buffer.from(image.type === 'image' ? image.data : '', 'base64');
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    }
  });

  it('answers an unknown variable with a coded error result, not a protocol error', async () => {
    const r = await gw.client.callTool({
      name: 'simulate',
      arguments: { fmu_id: 'msl:DCMotor', stop_time: 1, start_values: { no_such_parameter: 1 } },
    });
    assert.equal(r.isError, true);
    const s = structured(r) as Structured & { error: { code: string; hint?: string } };
    assert.equal(s.status, 'error');
    assert.equal(s.error.code, 'UNKNOWN_VARIABLE');
    assert.ok((s.error.hint ?? '').length > 0);
    // One text block: code, message and hint once; the data as JSON on its last line.
    const texts = (r.content as CallToolResult['content']).filter((c) => c.type === 'text').map((c) => (c.type === 'text' ? c.text : ''));
    assert.equal(texts.length, 1);
    assert.match(texts[0] ?? '', /^Error UNKNOWN_VARIABLE: /);
    assert.equal((texts[0] ?? '').split('no_such_parameter').length > 1, true);
    assert.equal((texts[0] ?? '').split(s.error.hint ?? '').length, 2, 'the hint appears once');
  });

  it('answers an unknown model with NOT_FOUND', async () => {
    const r = await gw.client.callTool({ name: 'get_variables', arguments: { fmu_id: 'msl:NoSuchModel' } });
    assert.equal(r.isError, true);
    assert.equal((structured(r) as Structured & { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  it('answers an unknown run id with a resource-not-found protocol error', async () => {
    await assert.rejects(
      gw.client.readResource({ uri: 'fmu-gateway://runs/nope/result.csv' }),
      (e: Error & { code?: number; data?: { uri?: string; code?: string } }) => {
        // Spec 2026-07-28 (and SDK v2 for every client): -32602 with the resource's uri in data.
        assert.equal(e.code, -32602);
        assert.equal(e.data?.uri, 'fmu-gateway://runs/nope/result.csv');
        assert.equal(e.data?.code, 'NOT_FOUND');
        // One "MCP error -32602:" prefix (the client's), then our message.
        assert.match(e.message, /^MCP error -32602: There is no stored result/);
        return true;
      },
    );
  });

  it('answers arguments that fail the input schema of any tool with a coded, structured BAD_REQUEST', async () => {
    const calls = [
      { name: 'list_library', arguments: { limit: 0 } },
      { name: 'get_variables', arguments: {} },
      { name: 'upload_fmu', arguments: {} },
      { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 1, kpis: ['h_maximum'] } },
    ];
    for (const call of calls) {
      const r = await gw.client.callTool(call);
      assert.equal(r.isError, true, call.name);
      const s = structured(r) as Structured & { error: { code: string; message: string; hint?: string } };
      assert.equal(s.status, 'error', call.name);
      assert.equal(s.error.code, 'BAD_REQUEST', call.name);
      assert.ok((s.error.hint ?? '').length > 0, `${call.name} has a hint`);
    }
  });

  it('refuses a misspelt argument name with a "did you mean", rather than running with defaults', async () => {
    const r = await gw.client.callTool({
      name: 'simulate',
      arguments: { fmu_id: 'msl:BouncingBall', stop_time: 1, start_value: { e: 0.5 } },
    });
    assert.equal(r.isError, true);
    const s = structured(r) as Structured & { error: { code: string; message: string } };
    assert.equal(s.error.code, 'BAD_REQUEST');
    assert.match(s.error.message, /"start_value" \(did you mean "start_values"\?\)/);
  });

  it('sends increasing progress notifications (fractions of simulated time) during a long run', async () => {
    const seen: number[] = [];
    const ac = new AbortController();
    const call = gw.client.callTool({ name: 'simulate', arguments: LONG_RUN }, undefined, {
      signal: ac.signal,
      onprogress: (p) => {
        seen.push(p.progress / (p.total ?? 1));
        if (seen.length === 3) ac.abort('enough progress seen');
      },
      timeout: 60_000,
    });
    await assert.rejects(call);
    assert.equal(seen.length, 3);
    for (let i = 1; i < seen.length; i++)
      assert.ok((seen[i] as number) > (seen[i - 1] as number), `progress increases: ${seen.join(', ')}`);
    assert.ok((seen[2] as number) > 0 && (seen[2] as number) < 1);
  });

  it('cancels a long run and frees the worker for the next call', async () => {
    const ac = new AbortController();
    let progressed = 0;
    const started = Date.now();
    const call = gw.client.callTool({ name: 'simulate', arguments: LONG_RUN }, undefined, {
      signal: ac.signal,
      onprogress: () => {
        progressed++;
        if (progressed === 1) ac.abort('test cancels');
      },
      timeout: 60_000,
    });
    await assert.rejects(call);
    const cancelledAfter = Date.now() - started;
    // One worker only (FMU_GATEWAY_POOL_SIZE=1): this call can only run once the cancelled job is gone.
    const t0 = Date.now();
    const r = await gw.client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:DCMotor', stop_time: 1, step: 0.01 } });
    const nextMs = Date.now() - t0;
    assert.notEqual(r.isError, true, JSON.stringify(r.content));
    assert.ok(nextMs < 5_000, `the next call took ${nextMs} ms after a cancel at ${cancelledAfter} ms`);
  });

  it('keeps stdout clean: the client saw no unparsable output', () => {
    assert.deepEqual(
      gw.transportErrors.map((e) => e.message),
      [],
    );
  });

  it('answers requests already sent when a scripted client closes stdin at once, prints only JSON-RPC, exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-pipe-'));
    try {
      const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env: gatewayEnv(dataDir), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.resume();
      const lines = [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '0' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, max_points: 2 } },
        },
      ];
      child.stdin.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
      const messages = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id?: number; result?: { structuredContent?: { status: string } } });
      assert.deepEqual(
        messages.map((m) => m.id),
        [1, 2],
      );
      assert.equal(messages[1]?.result?.structuredContent?.status, 'completed');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
