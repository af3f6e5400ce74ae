/**
 * Redis backend over node-redis. take is GETDEL: one command, atomic on the server. Every other
 * write (set, add, delete) runs one Lua script that also keeps the bookkeeping the SQL backends
 * get from triggers, in the same atomic step: the caller's counters (COUNTER_RULES), a sorted-set
 * index per caller family (so a caller's records are one ZRANGE, never a SCAN of the whole
 * keyspace), and a time index of usage records (the usage roll-up).
 *
 * keyv's Redis adapter is not used for reads and writes: it turns a failed command into "absent"
 * or a silent false, which made an outage look like an unknown API key. The offline queue is off,
 * so while Redis is away commands fail at once (503 STORE_UNAVAILABLE) instead of piling up.
 */
import { createHash } from 'node:crypto';
import Keyv from 'keyv';
import KeyvRedis, { createClient } from '@keyv/redis';
import {
  COUNTER_RULES,
  KEY_PREFIX,
  USAGE_STAMP_WIDTH,
  callerOfKey,
  counterKey,
  createKvStore,
  indexOfKey,
  type KvStore,
  type RangeOptions,
} from './kv.ts';
import { mergedDayValue, sumUsageRecords, type DayTotals } from './usage-fold.ts';
import { redisAtomic } from './kv-atomic.ts';

const TIME_INDEX = `${KEY_PREFIX}idx_time:usage`;
const VERSION_KEY = `${KEY_PREFIX}count:__version`;

/** Glob-escapes a literal for SCAN MATCH. */
function globPrefix(prefix: string): string {
  return `${prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}*`;
}

const WRITE_SCRIPT = `
local old = redis.call('GET', KEYS[1])
local mode = ARGV[1]
if mode == 'nx' and old then return 0 end
if mode == 'del' then
  if not old then return 0 end
  redis.call('DEL', KEYS[1])
  if ARGV[4] ~= '' then redis.call('ZREM', ARGV[4], KEYS[1]) end
  if ARGV[5] ~= '' then redis.call('ZREM', ARGV[5], KEYS[1]) end
else
  if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
  if ARGV[4] ~= '' then redis.call('ZADD', ARGV[4], 0, KEYS[1]) end
  if ARGV[5] ~= '' then redis.call('ZADD', ARGV[5], ARGV[6], KEYS[1]) end
end
local function amount(raw, field)
  if field == '' then return 1 end
  local ok, v = pcall(cjson.decode, raw)
  if not ok or type(v) ~= 'table' or type(v.value) ~= 'table' then return 0 end
  local n = tonumber(v.value[field]) or 0
  return math.floor(n + 0.5)
end
for i = 7, #ARGV, 3 do
  local ck, field, balance = ARGV[i], ARGV[i + 1], ARGV[i + 2] == '1'
  local delta = 0
  if mode == 'del' then
    if balance then delta = -amount(old, field) end
  elseif old then
    if balance then delta = amount(ARGV[2], field) - amount(old, field) end
  else
    delta = amount(ARGV[2], field)
  end
  if delta ~= 0 then redis.call('INCRBY', ck, delta) end
end
return 1
`;
const WRITE_SHA = createHash('sha1').update(WRITE_SCRIPT).digest('hex');

/** The script's bookkeeping arguments for one key: index, time index, counters. */
function bookkeeping(fullKey: string): string[] {
  const usageCaller = callerOfKey(fullKey, 'usage:');
  const stamp =
    usageCaller === undefined ? '' : fullKey.slice(fullKey.lastIndexOf(':') + 1, fullKey.lastIndexOf(':') + 1 + USAGE_STAMP_WIDTH);
  const args = [indexOfKey(fullKey) ?? '', usageCaller !== undefined ? TIME_INDEX : '', String(Number(stamp) || 0)];
  for (const r of COUNTER_RULES) {
    const caller = callerOfKey(fullKey, r.family);
    if (caller !== undefined) args.push(counterKey(r.counter, caller), r.field ?? '', r.mode === 'balance' ? '1' : '0');
  }
  return args;
}

export async function openRedisKv(url: string): Promise<KvStore> {
  // Our own client (a plain RedisClientType, not keyv's union with cluster/sentinel types), handed
  // to the adapter so keyv's serializer and the commands share one connection. No reconnect storm
  // when the server is gone at start: the first connect fails fast with its reason.
  let connected = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5_000,
      // Before the first connection: fail now (a wrong REDIS_URL is a start-up error). After it:
      // keep reconnecting with backoff (a restarting Redis must not take the gateway down).
      reconnectStrategy: (n: number, cause: Error) => (connected ? Math.min(50 * 2 ** n, 2_000) : cause),
    },
  });
  client.on('error', () => {});
  const adapter = new KeyvRedis(client, { throwOnConnectError: true, throwOnErrors: true });
  adapter.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    connected = true;
  } catch (e) {
    await adapter.disconnect().catch(() => {});
    throw new Error(`store: cannot reach Redis at REDIS_URL: ${(e as Error).message}`);
  }
  const cmd = (args: string[]) => client.sendCommand(args) as Promise<unknown>;
  const write = async (mode: 'set' | 'nx' | 'del', fullKey: string, raw = '', ttlMs?: number): Promise<number> => {
    const argv = [mode, raw, ttlMs === undefined ? '' : String(Math.max(1, Math.round(ttlMs))), ...bookkeeping(fullKey)];
    try {
      return Number(await cmd(['EVALSHA', WRITE_SHA, '1', fullKey, ...argv]));
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error).message)) throw e;
      return Number(await cmd(['EVAL', WRITE_SCRIPT, '1', fullKey, ...argv]));
    }
  };
  const mget = async (keys: string[]): Promise<[string, string][]> => {
    const out: [string, string][] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await client.mGet(chunk);
      chunk.forEach((k, j) => {
        const v = values[j];
        if (typeof v === 'string') out.push([k, v]);
      });
    }
    return out;
  };
  const zrange = async (index: string, o: RangeOptions): Promise<string[]> => {
    const rev = o.reverse === true;
    const lower = o.from !== undefined ? `[${o.from}` : '-';
    const cursor = o.after !== undefined ? `(${o.after}` : undefined;
    const args = rev ? [index, cursor ?? '+', lower] : [index, cursor ?? lower, '+'];
    return (await cmd(['ZRANGE', ...args, 'BYLEX', ...(rev ? ['REV'] : []), 'LIMIT', '0', String(o.limit)])) as string[];
  };
  await backfill(client, cmd, write);
  const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
  keyv.on('error', () => {});
  return createKvStore(
    'redis',
    keyv,
    {
      async get(fullKey) {
        const v = await client.get(fullKey);
        return typeof v === 'string' ? v : undefined;
      },
      async set(fullKey, raw, ttlMs) {
        await write('set', fullKey, raw, ttlMs);
      },
      async delete(fullKey) {
        return (await write('del', fullKey)) === 1;
      },
      async take(fullKey) {
        const v = await client.getDel(fullKey);
        return typeof v === 'string' ? v : undefined;
      },
      async add(fullKey, raw, ttlMs) {
        return (await write('nx', fullKey, raw, ttlMs)) === 1;
      },
      async scan(fullPrefix) {
        // A caller's family is its index; anything else (the retention sweep) walks the keyspace.
        const index = indexOfKey(`${fullPrefix}x`);
        if (index !== undefined && index === `${KEY_PREFIX}idx:${fullPrefix.slice(KEY_PREFIX.length)}`) {
          return mget((await cmd(['ZRANGE', index, '-', '+', 'BYLEX'])) as string[]);
        }
        const keys: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: globPrefix(fullPrefix), COUNT: 1000 })) {
          // node-redis 5 yields arrays of keys per SCAN round.
          if (Array.isArray(batch)) keys.push(...(batch as string[]));
          else keys.push(batch as string);
        }
        return mget(keys.filter((k) => !k.startsWith(`${KEY_PREFIX}idx`) && !k.startsWith(`${KEY_PREFIX}count:`)));
      },
      async range(fullPrefix, o) {
        const index = `${KEY_PREFIX}idx:${fullPrefix.slice(KEY_PREFIX.length)}`;
        if (indexOfKey(`${fullPrefix}x`) !== index) throw new Error(`store: ${fullPrefix} is not an indexed family prefix`);
        return mget(await zrange(index, o));
      },
      async counter(fullCounterKey) {
        return Number((await client.get(fullCounterKey)) ?? 0);
      },
      async usageBefore(cutoffMs, limit) {
        return (await cmd(['ZRANGE', TIME_INDEX, '-inf', `(${Math.floor(cutoffMs)}`, 'BYSCORE', 'LIMIT', '0', String(limit)])) as string[];
      },
      async deleteMany(fullKeys) {
        await Promise.all(fullKeys.map((k) => write('del', k)));
      },
      async foldUsage(fullKeys, opts) {
        // WATCH + MULTI/EXEC on a connection of its own (WATCH belongs to a connection; the shared
        // one carries every request's commands). node-redis queues a MULTI on the client and
        // sends it whole at exec(): a gateway dying before that sends nothing, and Redis applies
        // an EXEC all at once, so the day rows and the deletions land together or not at all.
        const conn = client.duplicate();
        conn.on('error', () => {});
        await conn.connect();
        try {
          for (let attempt = 0; attempt < 5; attempt++) {
            await conn.watch(fullKeys);
            const values = await conn.mGet(fullKeys);
            const records: [string, string][] = [];
            fullKeys.forEach((k, i) => {
              const v = values[i];
              if (typeof v === 'string') records.push([k, v]);
            });
            const { days, folded } = sumUsageRecords(records);
            const dayKeys = [...days.keys()];
            if (dayKeys.length > 0) await conn.watch(dayKeys);
            const previous = dayKeys.length > 0 ? await conn.mGet(dayKeys) : [];
            const multi = conn.multi();
            // EVAL, not EVALSHA: a NOSCRIPT inside EXEC would fail that one command and apply the rest.
            dayKeys.forEach((dayKey, i) => {
              const merged = mergedDayValue(previous[i] ?? undefined, days.get(dayKey) as DayTotals);
              multi.addCommand(['EVAL', WRITE_SCRIPT, '1', dayKey, 'set', merged, '', ...bookkeeping(dayKey)]);
            });
            opts?.at?.('days-written');
            for (const k of folded) multi.addCommand(['EVAL', WRITE_SCRIPT, '1', k, 'del', '', '', ...bookkeeping(k)]);
            try {
              await multi.exec();
            } catch (e) {
              // Another writer changed a watched key meanwhile: nothing was applied; read again.
              if ((e as Error).name === 'WatchError') continue;
              throw e;
            }
            opts?.at?.('committed');
            return folded.length;
          }
          throw new Error('store: the usage roll-up kept meeting concurrent writes to the same keys');
        } finally {
          conn.destroy();
        }
      },
      atomic: redisAtomic(cmd),
      async ping() {
        await client.ping();
      },
    },
    async () => {
      await adapter.disconnect();
    },
  );
}

/**
 * A Redis written before indexes and counters: walk it once and build them (re-writing each
 * record through the script). Claimed with SET NX so two gateways starting together do not both.
 */
async function backfill(
  client: {
    scanIterator(o: { MATCH: string; COUNT: number }): AsyncIterable<unknown>;
    get(k: string): Promise<unknown>;
    del(k: string): Promise<number>;
  },
  cmd: (args: string[]) => Promise<unknown>,
  write: (mode: 'set', k: string, raw: string) => Promise<number>,
): Promise<void> {
  if ((await cmd(['SET', VERSION_KEY, 'building', 'NX'])) !== 'OK') return;
  for await (const batch of client.scanIterator({ MATCH: `${KEY_PREFIX}*`, COUNT: 1000 })) {
    const keys = (Array.isArray(batch) ? batch : [batch]) as string[];
    for (const k of keys) {
      if (indexOfKey(k) === undefined) continue;
      const raw = await client.get(k);
      // Deleting first makes the rewrite count as an insert (counters start from zero here).
      if (typeof raw === 'string' && (await client.del(k)) === 1) await write('set', k, raw);
    }
  }
  await cmd(['SET', VERSION_KEY, 'done']);
}
