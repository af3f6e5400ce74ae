/**
 * The usage roll-up is atomic on all three backends (src/store/usage-fold.ts, `foldUsage` of
 * kv-sqlite / kv-postgres / kv-redis): a gateway killed (SIGKILL) after writing the day totals and
 * before deleting the records leaves the store as it was, so the next roll-up counts every record
 * exactly once. Before, the day row kept the dead sweep's sums and the re-run added them again.
 * Positive control: a gateway killed just AFTER the commit leaves the fold done (the child does
 * reach the fold, and the checks do see a change when there is one).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { UsageRecord } from '../../../src/schemas/accounts.ts';
import { openAccountStore, type AccountStore, type StoreLocation } from '../../../src/store/index.ts';
import type { FoldPoint } from '../../../src/store/usage-fold.ts';
import { postgresMissing, redisMissing, startPostgres, startRedis } from '../../helpers/db-servers.ts';
import { prerequisite } from '../../helpers/prereq.ts';

const CHILD = fileURLToPath(new URL('../../helpers/rollup-crash-child.ts', import.meta.url));
const K1 = 'c'.repeat(64);
const K2 = 'd'.repeat(64);
const DAY1 = Date.parse('2026-02-01T00:00:00Z');
const DAY2 = Date.parse('2026-02-02T00:00:00Z');
const DAY3 = Date.parse('2026-02-03T00:00:00Z');
const CUTOFF = Date.parse('2026-02-05T00:00:00Z');

const rec = (key: string, t: number, i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  key_hash: key,
  time: new Date(t + i * 1000).toISOString(),
  fmu_id: 'msl:BouncingBall',
  duration_ms: 10 + i,
  rows: 100,
  status: 'completed',
  run_id: `r${t}-${i}`,
  ...over,
});

/** Runs the roll-up in a child process that SIGKILLs itself at `point`; resolves with how it ended. */
function crashAt(loc: StoreLocation, point: FoldPoint): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(loc), String(CUTOFF), point], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve(signal ?? code);
    });
  });
}

function crashContract(
  name: string,
  setup: () => Promise<{ loc: StoreLocation; teardown: () => Promise<void> }>,
  skip: string | false,
): void {
  describe(`usage roll-up survives a crash: ${name}`, { skip, timeout: 120_000 }, () => {
    let loc: StoreLocation;
    let teardown: () => Promise<void>;
    let store: AccountStore;
    before(async () => {
      ({ loc, teardown } = await setup());
      store = await openAccountStore(loc);
    });
    after(async () => {
      await store?.close();
      await teardown?.();
    });

    it('a crash between the day write and the delete changes nothing; the re-run counts each record once', async () => {
      // A day row from an earlier roll-up, so the fold must ADD to it (read-modify-write).
      await store.usage.record(rec(K1, DAY1 - 3_600_000, 0));
      assert.equal(await store.usage.rollUp(new Date(DAY1)), 1);
      const earlier = await store.usage.days(K1);
      assert.deepEqual(earlier, [{ day: '2026-01-31', runs: 1, failed: 0, rows: 100, duration_ms: 10 }]);

      // Old records of two callers on two days, one failed, and one record after the cutoff.
      const old = [
        rec(K1, DAY1, 0),
        rec(K1, DAY1, 1),
        rec(K1, DAY1, 2, { status: 'failed', error_code: 'FMU_ERROR', rows: 0 }),
        rec(K1, DAY2, 0),
        rec(K1, DAY2, 1),
        rec(K2, DAY1, 0),
      ];
      for (const r of [...old, rec(K1, CUTOFF + 60_000, 0)]) await store.usage.record(r);
      const totals = await store.usage.totals(K1);

      assert.equal(await crashAt(loc, 'days-written'), 'SIGKILL');
      // Nothing of the dead sweep is visible: every record still there, the day rows unchanged.
      assert.equal((await store.usage.list(K1)).length, 6);
      assert.equal((await store.usage.list(K2)).length, 1);
      assert.deepEqual(await store.usage.days(K1), earlier);
      assert.deepEqual(await store.usage.days(K2), []);

      // The dead sweeper's lock would expire by itself (10 min); a test does not wait for it.
      await store.kv.delete('lock:usage_rollup');
      assert.equal(await store.usage.rollUp(new Date(CUTOFF)), 6);
      assert.deepEqual(await store.usage.days(K1), [
        ...earlier,
        { day: '2026-02-01', runs: 3, failed: 1, rows: 200, duration_ms: 33 },
        { day: '2026-02-02', runs: 2, failed: 0, rows: 200, duration_ms: 21 },
      ]);
      assert.deepEqual(await store.usage.days(K2), [{ day: '2026-02-01', runs: 1, failed: 0, rows: 100, duration_ms: 10 }]);
      assert.deepEqual(
        (await store.usage.list(K1)).map((r) => r.run_id),
        [`r${CUTOFF + 60_000}-0`],
        'only the record after the cutoff is left',
      );
      assert.deepEqual(await store.usage.totals(K1), totals, 'all-time counters unchanged by the roll-up');
      // Idempotent: again, nothing to fold and nothing changes.
      assert.equal(await store.usage.rollUp(new Date(CUTOFF)), 0);
      assert.equal((await store.usage.days(K1)).length, 3);
    });

    it('positive control: killed right after the commit, the fold is done and kept', async () => {
      await store.usage.record(rec(K2, DAY3, 0, { rows: 7, duration_ms: 5 }));
      await store.usage.record(rec(K2, DAY3, 1, { rows: 8, duration_ms: 6 }));
      assert.equal(await crashAt(loc, 'committed'), 'SIGKILL');
      assert.deepEqual(await store.usage.days(K2), [
        { day: '2026-02-01', runs: 1, failed: 0, rows: 100, duration_ms: 10 },
        { day: '2026-02-03', runs: 2, failed: 0, rows: 15, duration_ms: 11 },
      ]);
      assert.equal((await store.usage.list(K2)).length, 0);
      await store.kv.delete('lock:usage_rollup');
    });
  });
}

crashContract(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmugw-rollup-crash-'));
    return { loc: { dbPath: join(dir, 'gateway.sqlite3') }, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  false,
);
crashContract(
  'postgres',
  async () => {
    const pg = await startPostgres();
    return { loc: { dbPath: '/nonexistent', databaseUrl: pg.url }, teardown: () => pg.stop() };
  },
  prerequisite('postgres', postgresMissing()),
);
crashContract(
  'redis',
  async () => {
    const redis = await startRedis();
    return { loc: { dbPath: '/nonexistent', redisUrl: redis.url }, teardown: () => redis.stop() };
  },
  prerequisite('redis', redisMissing()),
);
