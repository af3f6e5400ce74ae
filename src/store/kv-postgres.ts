/**
 * PostgreSQL backend: @keyv/postgres (a pg pool) on one table. take is DELETE … RETURNING and add
 * is INSERT … ON CONFLICT DO NOTHING RETURNING: single statements, atomic under any number of
 * concurrent connections.
 *
 * The pg pool is ours, not the adapter's: @keyv/postgres keeps one module-wide pool without an
 * 'error' listener, so a server restart (idle clients dropped) would throw an uncaught exception
 * in the gateway, and two stores in one process would share and close each other's pool.
 */
import Keyv from 'keyv';
import KeyvPostgres from '@keyv/postgres';
import pg from 'pg';
import { createKvStore, type KvStore, type RawValue } from './kv.ts';
import { schemaStatements, sqlRange, TABLE } from './kv-sql.ts';
import { mergedDayValue, sumUsageRecords } from './usage-fold.ts';
import { postgresAtomic } from './kv-atomic.ts';

interface Row {
  key: string;
  value: RawValue;
}

export async function openPostgresKv(url: string): Promise<KvStore> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server is not fatal: the pool drops it and opens another on demand.
  pool.on('error', () => {});
  class PooledPostgres extends KeyvPostgres {
    override async connect() {
      return async (sql: string, values?: unknown[]) => (await pool.query(sql, values)).rows;
    }
    override async disconnect() {
      await pool.end();
    }
  }
  const adapter = new PooledPostgres({ uri: url, table: TABLE });
  let connectError: Error | undefined;
  adapter.on('error', (e: Error) => {
    connectError ??= e;
  });
  const query = adapter.query as (sql: string, values?: unknown[]) => Promise<Row[]>;
  try {
    await query('SELECT 1');
    await setUpCounters(pool);
  } catch (e) {
    await adapter.disconnect().catch(() => {});
    throw new Error(`store: cannot reach PostgreSQL at DATABASE_URL: ${(connectError ?? (e as Error)).message}`);
  }
  const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
  keyv.on('error', () => {});
  const sql = sqlRange('postgres', (text, params) => query(text, params));
  return createKvStore(
    'postgres',
    keyv,
    {
      async take(fullKey) {
        const rows = await query(`DELETE FROM ${TABLE} WHERE key = $1 RETURNING value`, [fullKey]);
        return rows[0]?.value;
      },
      async add(fullKey, raw) {
        const rows = await query(`INSERT INTO ${TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [
          fullKey,
          raw,
        ]);
        return rows.length === 1;
      },
      ...sql,
      atomic: postgresAtomic(pool),
      async ping() {
        await query('SELECT 1');
      },
      async deleteMany(fullKeys) {
        await query(`DELETE FROM ${TABLE} WHERE key = ANY($1)`, [fullKeys]);
      },
      async foldUsage(fullKeys, opts) {
        // One transaction on one connection; the rows it reads are locked (FOR UPDATE) until it
        // ends, so two sweepers can neither fold a record twice nor lose a day row's update.
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          // Folds one at a time across gateways: a day row that does not exist yet has no row to lock.
          await client.query("SELECT pg_advisory_xact_lock(hashtext('fmu_gateway_usage_fold'))");
          const records = (await client.query<Row>(`SELECT key, value FROM ${TABLE} WHERE key = ANY($1) FOR UPDATE`, [fullKeys])).rows;
          const { days, folded } = sumUsageRecords(records.map((r) => [r.key, r.value]));
          for (const [dayKey, add] of days) {
            const previous = (await client.query<Row>(`SELECT key, value FROM ${TABLE} WHERE key = $1 FOR UPDATE`, [dayKey])).rows[0]
              ?.value;
            await client.query(`INSERT INTO ${TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
              dayKey,
              mergedDayValue(previous, add),
            ]);
          }
          opts?.at?.('days-written');
          await client.query(`DELETE FROM ${TABLE} WHERE key = ANY($1)`, [folded]);
          await client.query('COMMIT');
          opts?.at?.('committed');
          return folded.length;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          throw e;
        } finally {
          client.release();
        }
      },
    },
    async () => {
      await adapter.disconnect();
    },
  );
}

/**
 * Counter table, triggers and the one-time backfill, in one transaction under an advisory lock:
 * two gateways starting on one database do not race on CREATE OR REPLACE or both backfill.
 */
async function setUpCounters(pool: pg.Pool): Promise<void> {
  const schema = schemaStatements('postgres');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('fmu_gateway_counters'))");
    for (const s of schema.setup) await client.query(s);
    if ((await client.query(schema.needsBackfill)).rows.length === 0) for (const s of schema.backfill) await client.query(s);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
