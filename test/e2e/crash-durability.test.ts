/**
 * kill -9 of the server in the middle of 200 concurrent POST /keys and a stream of simulations:
 * after a restart on the same data, every key that was answered works and every run that was
 * answered has its usage record and its result. (Writes that must not be lost are awaited before
 * the answer; this is the proof.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startHttpGateway } from './mcp-harness.ts';

const ENV = { KEY_CREATION_PER_HOUR: '100000', RATE_LIMIT_PER_MINUTE: '100000', FMU_GATEWAY_POOL_SIZE: '2' };

async function post(url: string, body: unknown, key?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('durability under kill -9', { timeout: 180_000 }, () => {
  it('keeps every answered key and every answered run after SIGKILL and a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-crash-'));
    try {
      const gw = await startHttpGateway([], ENV, { dataDir });
      const base = gw.url.replace(/\/mcp$/, '');
      // A few keys that simulate; created before the storm so runs start at once.
      const simKeys: string[] = [];
      for (let i = 0; i < 4; i++) simKeys.push((await post(`${base}/v2/keys`, {})).json.key as string);

      const answeredKeys: string[] = [];
      const answeredRuns: { key: string; runId: string }[] = [];
      let killed = false;
      const exited = new Promise<void>((r) => gw.child.once('exit', () => r()));
      const kill = () => {
        if (killed) return;
        killed = true;
        gw.child.kill('SIGKILL');
      };
      // Kill once a good part of the keys has been answered, with the rest (and runs) in flight.
      const maybeKill = () => {
        if (answeredKeys.length >= 50 && answeredRuns.length >= 4) kill();
      };
      let runsStarted: () => void = () => undefined;
      const enoughRuns = new Promise<void>((r) => (runsStarted = r));
      const simStorm = simKeys.map(async (key) => {
        while (!killed) {
          try {
            const r = await post(`${base}/simulate`, { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01 }, key);
            if (r.status === 200 && typeof r.json.run_id === 'string') {
              answeredRuns.push({ key, runId: r.json.run_id });
              if (answeredRuns.length >= 4) runsStarted();
              maybeKill();
            }
          } catch {
            return;
          }
        }
      });
      // Keys come while simulations are running.
      await enoughRuns;
      const keyStorm = Array.from({ length: 200 }, async () => {
        try {
          const r = await post(`${base}/v2/keys`, {});
          if (r.status === 201 && typeof r.json.key === 'string') {
            answeredKeys.push(r.json.key);
            maybeKill();
          }
        } catch {
          // Cut by the kill: not answered, nothing promised.
        }
      });
      // Whatever happens, the server dies within the test.
      const deadline = setTimeout(kill, 60_000);
      await Promise.all(keyStorm);
      kill();
      await Promise.all(simStorm);
      clearTimeout(deadline);
      await exited;
      assert.equal(gw.child.signalCode, 'SIGKILL');
      assert.ok(answeredKeys.length >= 50, `answered keys: ${answeredKeys.length}`);
      // How many were cut depends on timing; what was answered is what must survive.
      console.error(`crash test: ${answeredKeys.length}/200 keys and ${answeredRuns.length} runs answered before the kill`);
      assert.ok(answeredRuns.length >= 4, `answered runs: ${answeredRuns.length}`);

      const again = await startHttpGateway([], ENV, { dataDir });
      try {
        const base2 = again.url.replace(/\/mcp$/, '');
        const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
        const keyChecks = await Promise.all(answeredKeys.map((k) => fetch(`${base2}/usage?limit=1`, auth(k)).then((r) => r.status)));
        assert.deepEqual(
          keyChecks.filter((s) => s !== 200),
          [],
          'every answered key works after the restart',
        );
        for (const key of simKeys) {
          const usage = (await (await fetch(`${base2}/usage`, auth(key))).json()) as { records: { run_id?: string }[] };
          const recorded = new Set(usage.records.map((r) => r.run_id));
          for (const run of answeredRuns.filter((r) => r.key === key)) {
            assert.ok(recorded.has(run.runId), `usage record of ${run.runId}`);
            assert.equal((await fetch(`${base2}/runs/${run.runId}/result.csv`, auth(key))).status, 200, `result of ${run.runId}`);
          }
        }
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
