/**
 * A PostgreSQL pool whose connections all stay busy is overload (SERVER_BUSY), not an outage
 * (STORE_UNAVAILABLE): both classified from the real driver's own errors, against a real
 * PostgreSQL on loopback (src/store/kv.ts storeFault).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { storeFault } from '../../../src/store/kv.ts';
import { freePort, postgresMissing, startPostgres, type RunningServer } from '../../helpers/db-servers.ts';
import { prerequisite } from '../../helpers/prereq.ts';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('the query succeeded');
}

describe('PostgreSQL pool faults', { skip: prerequisite('postgresql', postgresMissing()), timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('every connection busy past the wait is SERVER_BUSY with Retry-After', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 1, connectionTimeoutMillis: 200 });
    const held = await pool.connect();
    try {
      const e = storeFault(await rejection(pool.query('SELECT 1')), 'postgres', 'get');
      assert.equal(e.code, 'SERVER_BUSY');
      assert.ok(Number(e.data?.['retry_after_seconds']) > 0);
    } finally {
      held.release();
    }
    // Positive control: the same pool answers once its connection is free.
    assert.equal((await pool.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n, 1);
    await pool.end();
  });

  it('a server that is not there is STORE_UNAVAILABLE, not SERVER_BUSY', async () => {
    const url = new URL(server.url);
    url.port = String(await freePort());
    const pool = new pg.Pool({ connectionString: url.href, max: 1, connectionTimeoutMillis: 200 });
    const e = storeFault(await rejection(pool.query('SELECT 1')), 'postgres', 'get');
    assert.equal(e.code, 'STORE_UNAVAILABLE');
    await pool.end();
  });
});
