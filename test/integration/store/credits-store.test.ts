/**
 * Credits at the store level, on the three real backends (a SQLite file, PostgreSQL and Redis
 * started on loopback): 1000 concurrent draws against a balance of 10 (from two store instances,
 * i.e. two connection pools, where the backend is a server) → exactly 10 applied, balance 0, the
 * ledger's deltas sum to the balance; one-shot markers make a purchase and a refund count once;
 * the ledger pages newest first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAccountStore, type AccountStore, type StoreLocation } from '../../../src/store/index.ts';
import type { CreditLedgerEntry } from '../../../src/schemas/credits.ts';
import { postgresMissing, redisMissing, startPostgres, startRedis } from '../../helpers/db-servers.ts';
import { prerequisite } from '../../helpers/prereq.ts';

async function wholeLedger(store: AccountStore, account: string, limit = 97): Promise<CreditLedgerEntry[]> {
  const out: CreditLedgerEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.credits.ledger(account, { limit, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.entries);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return out;
}

function suite(name: string, setup: () => Promise<{ loc: StoreLocation; teardown: () => Promise<void> }>, skip: string | false): void {
  describe(`credits store: ${name}`, { skip, timeout: 120_000 }, () => {
    let a: AccountStore;
    let b: AccountStore;
    let teardown: () => Promise<void>;
    before(async () => {
      const s = await setup();
      teardown = s.teardown;
      a = await openAccountStore(s.loc);
      b = await openAccountStore(s.loc);
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await teardown?.();
    });

    it('1000 concurrent draws against a balance of 10: exactly 10 applied, balance 0, ledger consistent', async () => {
      const acct = `race${name}`;
      const bought = await a.credits.change(acct, 10, { reason: 'purchase', checkout_session_id: 'cs_race' }, ['credit-session:cs_race']);
      assert.equal(bought.applied, true);
      assert.equal(await a.credits.balance(acct), 10);
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).credits.change(acct, -1, { reason: 'run', run_id: `r${i}` })),
      );
      const won = results.filter((r) => r.applied);
      assert.equal(won.length, 10);
      assert.ok(results.filter((r) => !r.applied).every((r) => !r.applied && r.reason === 'insufficient' && r.balance === 0));
      // Each winner saw a distinct balance after its draw: 9, 8, …, 0.
      assert.deepEqual(
        won.map((r) => r.balance).sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.equal(await a.credits.balance(acct), 0);
      assert.equal(await b.credits.balance(acct), 0);
      const ledger = await wholeLedger(a, acct, 4);
      assert.equal(ledger.length, 11);
      assert.equal(
        ledger.reduce((s, e) => s + e.delta, 0),
        0,
      );
      assert.equal(ledger.filter((e) => e.reason === 'run').length, 10);
      assert.deepEqual(
        new Set(ledger.filter((e) => e.reason === 'run').map((e) => e.run_id)),
        new Set(won.map((r) => (r.applied ? r.entry.run_id : ''))),
      );
      assert.equal(ledger[ledger.length - 1]?.reason, 'purchase', 'oldest last');
    });

    it('a purchase is applied once per event and once per checkout session; the first one is applied', async () => {
      const acct = `buy${name}`;
      const first = await a.credits.change(acct, 10, { reason: 'purchase', checkout_session_id: 'cs_1' }, [
        'credit-session:cs_1',
        'credit-event:evt_1',
      ]);
      assert.equal(first.applied, true, 'positive control: the first delivery credits');
      const replay = await b.credits.change(acct, 10, { reason: 'purchase', checkout_session_id: 'cs_1' }, [
        'credit-session:cs_1',
        'credit-event:evt_1',
      ]);
      const second = await b.credits.change(acct, 10, { reason: 'purchase', checkout_session_id: 'cs_1' }, [
        'credit-session:cs_1',
        'credit-event:evt_2',
      ]);
      assert.deepEqual([replay.applied, second.applied], [false, false]);
      assert.ok(!replay.applied && replay.reason === 'duplicate');
      // Concurrent duplicates of one new event: one applies.
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).credits.change(acct, 50, { reason: 'purchase', checkout_session_id: 'cs_2' }, [
            'credit-session:cs_2',
            'credit-event:evt_3',
          ]),
        ),
      );
      assert.equal(burst.filter((r) => r.applied).length, 1);
      assert.equal(await a.credits.balance(acct), 60);
      assert.equal((await wholeLedger(a, acct)).length, 2);
      // A refused change leaves no half-written marker: evt_2 was not recorded, so a new session with it applies.
      const fresh = await a.credits.change(acct, 10, { reason: 'purchase', checkout_session_id: 'cs_3' }, [
        'credit-session:cs_3',
        'credit-event:evt_2',
      ]);
      assert.equal(fresh.applied, true);
    });

    it('a refund is applied once; a draw below zero is refused and writes nothing', async () => {
      const acct = `refund${name}`;
      const empty = await a.credits.change(acct, -1, { reason: 'run' });
      assert.ok(!empty.applied && empty.reason === 'insufficient');
      assert.equal((await wholeLedger(a, acct)).length, 0);
      await a.credits.change(acct, 1, { reason: 'purchase' }, ['credit-session:cs_r']);
      const draw = await a.credits.change(acct, -1, { reason: 'run' });
      assert.ok(draw.applied);
      const refunds = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).credits.change(acct, 1, { reason: 'refund' }, [`credit-refund:${draw.entry.id}`]),
        ),
      );
      assert.equal(refunds.filter((r) => r.applied).length, 1);
      assert.equal(await a.credits.balance(acct), 1);
      await a.credits.annotate(draw.ref, { run_id: 'run_x' });
      const ledger = await wholeLedger(a, acct);
      assert.deepEqual(
        ledger.map((e) => [e.reason, e.delta]),
        [
          ['refund', 1],
          ['run', -1],
          ['purchase', 1],
        ],
      );
      assert.equal(ledger[1]?.run_id, 'run_x');
    });
  });
}

suite(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmugw-credits-'));
    return { loc: { dbPath: join(dir, 'gw.sqlite3') }, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  false,
);
suite(
  'postgres',
  async () => {
    const pg = await startPostgres();
    return { loc: { dbPath: '/nonexistent', databaseUrl: pg.url }, teardown: () => pg.stop() };
  },
  prerequisite('PostgreSQL', postgresMissing()),
);
suite(
  'redis',
  async () => {
    const redis = await startRedis();
    return { loc: { dbPath: '/nonexistent', redisUrl: redis.url }, teardown: () => redis.stop() };
  },
  prerequisite('Redis', redisMissing()),
);
