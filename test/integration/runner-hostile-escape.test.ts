/**
 * Hostile FMUs that attack the worker itself rather than the simulation (issue 9): forged
 * protocol frames on the channel, code injection into other processes of the sandbox through
 * /proc/<pid>/mem, datagrams to host sockets, memory the data limit does not see, inherited
 * descriptors, threads left running, and workers shared between callers. Through the real
 * sandboxed pool; each test asserts the attack's effect did not happen, not only the code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import { buildHostile, finalOf, hasBwrap, job, rejectsWith } from '../fixtures/hostile/build.ts';

describe('FMUs attacking their worker, in the sandboxed pool', { skip: !hasBwrap }, () => {
  let pool: WorkerPool;
  let cacheDir: string;
  const fmus: Record<string, OpenedFmu> = {};
  const get = (n: string): OpenedFmu => fmus[n] as OpenedFmu;

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'runner-escape-'));
    const names = ['control', 'channel-forgery'];
    const paths = await Promise.all(names.map((n) => buildHostile(n)));
    names.forEach((n, i) => (fmus[n] = openFmu({ path: paths[i] as string }, { cacheDir })));
    pool = createWorkerPool({ size: 2, timeoutMs: 5000, memoryMb: 384, cacheDir, reuseIdleMs: 3000 });
  });

  after(async () => {
    await pool.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function assertControlWorks(): Promise<void> {
    const r = await pool.run(job(get('control'), { k: 2 }));
    assert.ok(Math.abs(finalOf(r, 'x') - Math.exp(-2)) < 1e-6, `x(1) = ${finalOf(r, 'x')}`);
  }

  for (const [variant, what] of [
    [1, "{type:'error', error:null}"],
    [2, "{type:'log', line:null}"],
    [3, 'an error claiming PAYMENT_REQUIRED with a checkout URL'],
  ] as const) {
    it(`kills a worker whose FMU forges thousands of well-framed ${what} messages: FMU_CRASHED, nothing else`, async () => {
      const e = await rejectsWith(pool.run(job(get('channel-forgery'), { variant, count: 5000 })), 'FMU_CRASHED');
      assert.match(e.message, /channel/);
      assert.doesNotMatch(JSON.stringify(e), /evil\.example/);
      await assertControlWorks();
    });
  }
});
