/**
 * Stopping the long-running faces while a simulation runs: the gateway exits promptly with code 0,
 * its workers are gone, and (HTTP) the client of the run gets an answer rather than a cut stream.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, LONG_RUN, ROOT, gatewayEnv, startHttpGateway } from './mcp-harness.ts';

/** Every process below `pid` (parent links from ps). */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=']).toString().trim().split('\n');
  const links = rows.map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    for (const [child, parent] of links) {
      if (parent !== p) continue;
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** Alive and not a zombie waiting for init to reap it. */
function running(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)])
      .toString()
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
};

describe('shutdown with a run in flight', { timeout: 60_000 }, () => {
  it('serve on SIGTERM answers the running call with CANCELLED, stops its workers and exits 0 within 3 s', async () => {
    const gw = await startHttpGateway();
    // A call that asks for no progress is answered with one JSON body, so its headers come with
    // the answer: the request is left in flight, not awaited, while the gateway is stopped.
    const answer = fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'simulate', arguments: LONG_RUN } }),
    }).then(
      async (res) => ({ status: res.status, text: await res.text().catch((e: unknown) => `stream cut: ${String(e)}`) }),
      (e: unknown) => ({ status: 0, text: `request failed: ${String(e)}` }),
    );
    // The run is on a worker once the pool has a busy child.
    assert.ok(await waitFor(() => descendants(gw.child.pid as number).length >= 2, 10_000), 'no worker started');
    await new Promise((r) => setTimeout(r, 800));
    const workers = descendants(gw.child.pid as number);
    const t0 = Date.now();
    await gw.close(); // SIGTERM, then waits for the exit
    assert.ok(Date.now() - t0 < 3000, `exit took ${Date.now() - t0} ms`);
    assert.equal(gw.child.exitCode, 0);
    const { status, text } = await answer;
    assert.equal(status, 200, text);
    assert.match(text, /CANCELLED/);
    assert.ok(await waitFor(() => !workers.some(running), 2000), 'a worker outlived the gateway');
  });

  it('mcp on SIGTERM stops its workers and exits 0 within 3 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-stop-'));
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env: gatewayEnv(dataDir), stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const send = (m: object): boolean => child.stdin.write(`${JSON.stringify(m)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } },
      });
      assert.ok(await waitFor(() => out.includes('"id":1'), 20_000), 'no initialize answer');
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'simulate', arguments: LONG_RUN } });
      // The run is on a worker once the pool has a busy child (a few hundred ms after start).
      assert.ok(await waitFor(() => descendants(child.pid as number).length >= 2, 10_000), 'no worker started');
      await new Promise((r) => setTimeout(r, 500));
      const workers = descendants(child.pid as number);
      const t0 = Date.now();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(Date.now() - t0 < 3000, `exit took ${Date.now() - t0} ms`);
      assert.ok(await waitFor(() => !workers.some(running), 2000), 'a worker outlived the gateway');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
