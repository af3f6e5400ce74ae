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
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import pg from 'pg';
import { postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../test/helpers/db-servers.ts';

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
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    FMU_GATEWAY_DATA_DIR: dataDir,
    FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache'),
    FMU_GATEWAY_DB_PATH: join(dataDir, 'gateway.sqlite3'),
    RATE_LIMIT_PER_MINUTE: '1000000',
    KEY_CREATION_PER_HOUR: '1000000',
    ...extra,
  });
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

async function measure(gw: Gateway): Promise<{ p50: number; p95: number }> {
  const one = async () => {
    const t0 = performance.now();
    const res = await fetch(`${gw.base}/simulate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
      body: JSON.stringify(REQUEST),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`simulate answered ${res.status}`);
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) await one(); // warm: worker, library FMU, connections
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await one());
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
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
  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, table: 'fmu_gateway', busyTimeout: 60_000 });
  const q = adapter.query as (sql: string, ...p: unknown[]) => Promise<unknown>;
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
  await adapter.disconnect();
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
  const dataDir = mkdtempSync(join(tmpdir(), `fmu-gw-bench-store-${backend}-`));
  let server: RunningServer | undefined;
  let gw: Gateway | undefined;
  try {
    if (backend === 'postgres') server = await startPostgres();
    if (backend === 'redis') server = await startRedis();
    gw = await startServe(
      dataDir,
      backend === 'postgres' ? { DATABASE_URL: server?.url ?? '' } : backend === 'redis' ? { REDIS_URL: server?.url ?? '' } : {},
    );
    const empty = await measure(gw);
    const t0 = performance.now();
    if (backend === 'sqlite') await seedSqlite(join(dataDir, 'gateway.sqlite3'));
    if (backend === 'postgres') await seedPostgres(server?.url ?? '');
    if (backend === 'redis') await seedRedis(server?.url ?? '');
    const seedS = (performance.now() - t0) / 1000;
    const large = await measure(gw);
    return { backend, empty, large, seedS };
  } finally {
    await gw?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `simulate p50 / p95 (ms), ${RUNS} warm sequential REST calls per cell, empty store vs ${USAGE_ROWS + 2 * RUN_ROWS} rows of other keys`,
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
