/**
 * Constant cost per request as the store grows (issue 18, deliverable 3), on SQLite, PostgreSQL
 * and Redis in one run: one `serve` per backend, REST POST /simulate msl:BouncingBall (stop 3)
 * with one key, p50 / p95 on the empty store, then again after 1 000 000 rows of OTHER keys were
 * seeded beside it (700k usage records of 10k callers, 150k run records and their owner index
 * entries), through the same server. Seeding is bulk SQL / pipelined Redis, not the HTTP API; the
 * seeded rows have exactly the shape real writes give them (keys, keyv envelopes, indexes).
 * Target: large-store p50 within 20 % of the empty store's.
 * Run: node --import tsx bench/load-store.ts [runs] [sqlite,postgres,redis]   (or `npm run bench -- load`)
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@keyv/redis';
import pg from 'pg';
import { postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../test/helpers/db-servers.ts';
import { serveEnv } from './serve-env.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fmu-gateway.js');
const RUNS = Number(process.argv[2] ?? 40);
const REQUEST = { fmu_id: 'msl:BouncingBall', stop_time: 3 };
const USAGE_ROWS = 700_000;
const RUN_ROWS = 150_000; // each gives two rows: run:<id> and run_by:<caller>:<id>
const CALLERS = 10_000;

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

interface Gateway {
  base: string;
  key: string;
  child: ChildProcess;
  close(): Promise<void>;
}

async function startServe(dataDir: string, extra: Record<string, string>): Promise<Gateway> {
  const env = serveEnv(dataDir, extra);
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--allow-unsandboxed'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /MCP endpoint (http:\/\/\S+)\/mcp/.exec(log);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (c) => reject(new Error(`serve exited with ${c}:\n${log}`)));
  });
  const key = (
    (await (await fetch(`${url}/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as {
      key: string;
    }
  ).key;
  return {
    base: url,
    key,
    child,
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function call(gw: Gateway): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${gw.base}/simulate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
    body: JSON.stringify(REQUEST),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`simulate answered ${res.status}`);
  return performance.now() - t0;
}

const summary = (samples: number[]) => {
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
};

/**
 * The empty and the large store measured side by side: two gateways up at once, calls
 * alternating between them (AB, BA, …), so whatever else loads the machine meanwhile (other
 * processes on 2 shared cores, the backend's own background work) weighs on both alike. Measuring
 * one after the other, minutes apart, compared two different machines.
 */
async function measurePair(
  empty: Gateway,
  large: Gateway,
): Promise<{ empty: { p50: number; p95: number }; large: { p50: number; p95: number } }> {
  for (let i = 0; i < 5; i++) {
    await call(empty); // warm: worker, library FMU, connections
    await call(large);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      a.push(await call(empty));
      b.push(await call(large));
    } else {
      b.push(await call(large));
      a.push(await call(empty));
    }
  }
  return { empty: summary(a), large: summary(b) };
}

/**
 * After a bulk load, what a running database would have done by itself before long: statistics
 * (the planner's row estimates), the visibility map, a checkpoint. Not doing it measured the
 * backend's catch-up work (autovacuum, checkpoint) rather than the size of the store.
 */
async function settle(backend: 'sqlite' | 'postgres' | 'redis', dataDir: string, url: string | undefined): Promise<void> {
  if (backend === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('VACUUM ANALYZE fmu_gateway');
    await client.query('VACUUM ANALYZE fmu_gateway_counters');
    await client.query('CHECKPOINT');
    await client.end();
  }
  if (backend === 'sqlite') {
    const Database = createRequire(import.meta.url)('libsql') as new (
      p: string,
      o: { timeout: number },
    ) => { pragma(s: string): unknown; close(): void };
    const db = new Database(join(dataDir, 'gateway.sqlite3'), { timeout: 60_000 });
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('optimize');
    db.close();
  }
}

// The rows real writes produce: keyv envelopes around the records of src/schemas/accounts.ts.
const usageValueSql = (d: 'sqlite' | 'postgres', caller: string) =>
  d === 'sqlite'
    ? `json_object('value', json_object('key_hash', ${caller}, 'time', '2026-01-01T00:00:00.000Z', 'fmu_id', 'msl:BouncingBall', 'duration_ms', 7, 'rows', 301, 'status', 'completed', 'surface', 'rest'), 'expires', NULL)`
    : `json_build_object('value', json_build_object('key_hash', ${caller}, 'time', '2026-01-01T00:00:00.000Z', 'fmu_id', 'msl:BouncingBall', 'duration_ms', 7, 'rows', 301, 'status', 'completed', 'surface', 'rest'), 'expires', NULL)::text`;
const runValueSql = (d: 'sqlite' | 'postgres', caller: string, id: string) =>
  d === 'sqlite'
    ? `json_object('value', json_object('run_id', ${id}, 'key_hash', ${caller}, 'fmu_id', 'msl:BouncingBall', 'created_at', '2030-01-01T00:00:00.000Z', 'status', 'completed', 'rows', 301, 'result_bytes', 9000, 'duration_ms', 7), 'expires', NULL)`
    : `json_build_object('value', json_build_object('run_id', ${id}, 'key_hash', ${caller}, 'fmu_id', 'msl:BouncingBall', 'created_at', '2030-01-01T00:00:00.000Z', 'status', 'completed', 'rows', 301, 'result_bytes', 9000, 'duration_ms', 7), 'expires', NULL)::text`;

async function seedSqlite(path: string): Promise<void> {
  // The store's own driver (libsql, src/store/kv-sqlite.ts) and table layout.
  const Database = createRequire(import.meta.url)('libsql') as new (
    p: string,
    o: { timeout: number },
  ) => { exec(sql: string): unknown; close(): void };
  const db = new Database(path, { timeout: 60_000 });
  const q = async (sql: string): Promise<unknown> => db.exec(sql);
  await q('CREATE TABLE IF NOT EXISTS fmu_gateway (key VARCHAR(255) PRIMARY KEY, value TEXT)');
  const caller = `printf('%064x', i % ${CALLERS})`;
  const id = `printf('r%08x-%012x', i, i)`;
  const series = (n: number) => `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1}) `;
  await q('BEGIN');
  await q(
    `${series(USAGE_ROWS)}INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:usage:' || ${caller} || ':' || printf('%015d', 1700000000000 + i) || '-' || printf('%08x', i), ${usageValueSql('sqlite', caller)} FROM s`,
  );
  await q(
    `${series(RUN_ROWS)}INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:run:' || ${id}, ${runValueSql('sqlite', caller, id)} FROM s`,
  );
  await q(
    `${series(RUN_ROWS)}INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:run_by:' || ${caller} || ':' || ${id}, ${runValueSql('sqlite', caller, id)} FROM s`,
  );
  await q('COMMIT');
  db.close();
}

async function seedPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const caller = `lpad(to_hex(i % ${CALLERS}), 64, '0')`;
  const id = `'r' || lpad(to_hex(i), 8, '0') || '-' || lpad(to_hex(i), 12, '0')`;
  await client.query('BEGIN');
  // Row triggers (the counters) off while seeding other callers' rows: one bulk aggregate below
  // writes the counters they would have produced, in seconds instead of a trigger call per row.
  await client.query('SET LOCAL session_replication_role = replica');
  await client.query(
    `INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:usage:' || ${caller} || ':' || lpad((1700000000000 + i)::text, 15, '0') || '-' || lpad(to_hex(i), 8, '0'), ${usageValueSql('postgres', caller)} FROM generate_series(0, ${USAGE_ROWS - 1}) i`,
  );
  await client.query(
    `INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:run:' || ${id}, ${runValueSql('postgres', caller, id)} FROM generate_series(0, ${RUN_ROWS - 1}) i`,
  );
  await client.query(
    `INSERT INTO fmu_gateway (key, value) SELECT 'fmugw:run_by:' || ${caller} || ':' || ${id}, ${runValueSql('postgres', caller, id)} FROM generate_series(0, ${RUN_ROWS - 1}) i`,
  );
  await client.query(
    `INSERT INTO fmu_gateway_counters (key, n) SELECT 'fmugw:count:usage_runs:' || lpad(to_hex(c), 64, '0'), ${USAGE_ROWS / CALLERS} FROM generate_series(0, ${CALLERS - 1}) c ` +
      `UNION ALL SELECT 'fmugw:count:usage_rows:' || lpad(to_hex(c), 64, '0'), ${(USAGE_ROWS / CALLERS) * 301} FROM generate_series(0, ${CALLERS - 1}) c ` +
      `UNION ALL SELECT 'fmugw:count:usage_ms:' || lpad(to_hex(c), 64, '0'), ${(USAGE_ROWS / CALLERS) * 7} FROM generate_series(0, ${CALLERS - 1}) c ` +
      `UNION ALL SELECT 'fmugw:count:disk_bytes:' || lpad(to_hex(c), 64, '0'), ${(RUN_ROWS / CALLERS) * 9000} FROM generate_series(0, ${CALLERS - 1}) c`,
  );
  await client.query('COMMIT');
  await client.query('ANALYZE fmu_gateway');
  await client.query('ANALYZE fmu_gateway_counters');
  await client.end();
}

/** Pipelined: each record with the index entries the gateway's write script would add. */
async function seedRedis(url: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const BATCH = 2_000;
  const send = async (from: number, to: number, row: (i: number, m: ReturnType<typeof client.multi>) => void) => {
    const inflight: Promise<unknown>[] = [];
    for (let b = from; b < to; b += BATCH) {
      const m = client.multi();
      for (let i = b; i < Math.min(to, b + BATCH); i++) row(i, m);
      inflight.push(m.execAsPipeline());
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
  };
  await send(0, USAGE_ROWS, (i, m) => {
    const caller = hex(i % CALLERS, 64);
    const stamp = String(1700000000000 + i).padStart(15, '0');
    const key = `fmugw:usage:${caller}:${stamp}-${hex(i, 8)}`;
    const value = {
      key_hash: caller,
      time: '2026-01-01T00:00:00.000Z',
      fmu_id: 'msl:BouncingBall',
      duration_ms: 7,
      rows: 301,
      status: 'completed',
      surface: 'rest',
    };
    m.set(key, JSON.stringify({ value, expires: null }));
    m.zAdd(`fmugw:idx:usage:${caller}:`, { score: 0, value: key });
    m.zAdd('fmugw:idx_time:usage', { score: 1700000000000 + i, value: key });
  });
  await send(0, RUN_ROWS, (i, m) => {
    const caller = hex(i % CALLERS, 64);
    const id = `r${hex(i, 8)}-${hex(i, 12)}`;
    const raw = JSON.stringify({
      value: {
        run_id: id,
        key_hash: caller,
        fmu_id: 'msl:BouncingBall',
        created_at: '2030-01-01T00:00:00.000Z',
        status: 'completed',
        rows: 301,
        result_bytes: 9000,
        duration_ms: 7,
      },
      expires: null,
    });
    m.set(`fmugw:run:${id}`, raw);
    m.set(`fmugw:run_by:${caller}:${id}`, raw);
    m.zAdd(`fmugw:idx:run_by:${caller}:`, { score: 0, value: `fmugw:run_by:${caller}:${id}` });
  });
  await client.quit();
}

interface Row {
  backend: string;
  empty?: { p50: number; p95: number };
  large?: { p50: number; p95: number };
  seedS?: number;
  note?: string;
}

async function bench(backend: 'sqlite' | 'postgres' | 'redis'): Promise<Row> {
  const missing = backend === 'postgres' ? postgresMissing() : backend === 'redis' ? redisMissing() : undefined;
  if (missing !== undefined) return { backend, note: `skipped: ${missing}` };
  const emptyDir = mkdtempSync(join(tmpdir(), `fmu-gw-bench-store-${backend}-empty-`));
  const largeDir = mkdtempSync(join(tmpdir(), `fmu-gw-bench-store-${backend}-large-`));
  const servers: RunningServer[] = [];
  const gateways: Gateway[] = [];
  const backendServer = async (): Promise<Record<string, string>> => {
    if (backend === 'sqlite') return {};
    const server = backend === 'postgres' ? await startPostgres() : await startRedis();
    servers.push(server);
    return backend === 'postgres' ? { DATABASE_URL: server.url } : { REDIS_URL: server.url };
  };
  try {
    // Each store its own server (same kind, same settings); the large one seeded first.
    const largeEnv = await backendServer();
    const large = await startServe(largeDir, largeEnv);
    gateways.push(large);
    const t0 = performance.now();
    if (backend === 'sqlite') await seedSqlite(join(largeDir, 'gateway.sqlite3'));
    if (backend === 'postgres') await seedPostgres(largeEnv['DATABASE_URL'] ?? '');
    if (backend === 'redis') await seedRedis(largeEnv['REDIS_URL'] ?? '');
    await settle(backend, largeDir, largeEnv['DATABASE_URL']);
    const seedS = (performance.now() - t0) / 1000;
    const empty = await startServe(emptyDir, await backendServer());
    gateways.push(empty);
    return { backend, ...(await measurePair(empty, large)), seedS };
  } finally {
    for (const gw of gateways) await gw.close();
    for (const server of servers) await server.stop();
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(largeDir, { recursive: true, force: true });
  }
}

console.log(
  `simulate p50 / p95 (ms), ${RUNS} warm sequential REST calls per cell, empty store vs ${USAGE_ROWS + 2 * RUN_ROWS} rows of other keys (two gateways, calls alternating between them)`,
);
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2 cores shared: figures inflated by load)`,
);
const rows: Row[] = [];
const only = process.argv[3]?.split(',');
for (const b of ['sqlite', 'postgres', 'redis'] as const) {
  if (only !== undefined && !only.includes(b)) continue;
  const r = await bench(b);
  rows.push(r);
  if (r.empty === undefined || r.large === undefined) {
    console.log(`${b.padEnd(9)} ${r.note ?? ''}`);
    continue;
  }
  const ratio = r.large.p50 / r.empty.p50;
  console.log(
    `${b.padEnd(9)} empty p50 ${r.empty.p50.toFixed(1).padStart(6)} p95 ${r.empty.p95.toFixed(1).padStart(6)} | 1M other rows p50 ${r.large.p50.toFixed(1).padStart(6)} p95 ${r.large.p95.toFixed(1).padStart(6)} | ratio ${ratio.toFixed(2)} ${ratio <= 1.2 ? '(within 20 %)' : '(OVER 20 %)'} | seeded in ${r.seedS?.toFixed(1)} s`,
  );
}
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
