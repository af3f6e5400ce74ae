/**
 * The server survives its working directories being removed under it (a cleaner emptying
 * runs/.incoming/, an operator deleting the cache's .runner/): the worker pool recreates them,
 * says so on stderr, and keeps answering simulate with stored, readable results. Before, the
 * next worker start threw ENOENT outside any request and the process died.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

describe('working directories removed under a running server', { timeout: 120_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  let key: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-workdirs-'));

  before(async () => {
    // A data dir others can traverse keeps the pool's directories inside it (as /data in production).
    chmodSync(dataDir, 0o755);
    gw = await startHttpGateway([], { FMU_GATEWAY_POOL_SIZE: '2', KEY_CREATION_PER_HOUR: '1000' }, { dataDir });
    base = gw.url.replace(/\/mcp$/, '');
    key = ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
  });
  after(async () => {
    await gw?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const simulate = async (): Promise<{ status: number; body: { status?: string; run_id?: string; result_url?: string } }> => {
    const r = await fetch(`${base}/simulate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fmu_id: 'msl:BouncingBall', stop_time: 3 }),
    });
    return { status: r.status, body: (await r.json()) as { status?: string; run_id?: string } };
  };

  it('recreates runs/.incoming and the staging root, logs it, and keeps serving', async () => {
    assert.equal((await simulate()).status, 200);
    const incoming = join(gw.dataDir, 'runs', '.incoming');
    const runner = join(gw.dataDir, 'cache', '.runner');
    assert.ok(existsSync(incoming), 'the pool keeps its outboxes under runs/.incoming');
    rmSync(incoming, { recursive: true, force: true });
    rmSync(runner, { recursive: true, force: true });
    // Several callers' runs, so fresh workers start (and their directories are made) after the removal.
    for (let i = 0; i < 4; i++) {
      const r = await simulate();
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'completed');
      const csv = await fetch(`${base}${r.body.result_url}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(csv.status, 200);
      assert.match((await csv.text()).split('\n')[0] ?? '', /time/);
    }
    await new Promise((r) => setTimeout(r, 500)); // replacements start after the answers
    assert.equal(gw.child.exitCode, null, `the server is alive: ${gw.stderr().slice(-2000)}`);
    assert.ok(existsSync(incoming), 'runs/.incoming is back');
    assert.match(gw.stderr(), /removed/, 'the server said what happened');
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
  });
});
