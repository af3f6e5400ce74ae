/**
 * Redis backend: @keyv/redis (node-redis). take is GETDEL and add is SET NX: single commands,
 * atomic on the server. Expiry is Redis's own (keyv passes the TTL as PX).
 */
import Keyv from 'keyv';
import KeyvRedis, { createClient } from '@keyv/redis';
import { createKvStore, type KvStore } from './kv.ts';

/** Glob-escapes a literal for SCAN MATCH. */
function globPrefix(prefix: string): string {
  return `${prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}*`;
}

export async function openRedisKv(url: string): Promise<KvStore> {
  // Our own client (a plain RedisClientType, not keyv's union with cluster/sentinel types), handed
  // to the adapter so keyv and the native commands share one connection. No reconnect storm when
  // the server is gone at start: the first connect fails fast with its reason.
  let connected = false;
  const client = createClient({
    url,
    socket: {
      connectTimeout: 5_000,
      // Before the first connection: fail now (a wrong REDIS_URL is a start-up error). After it:
      // keep reconnecting with backoff (a restarting Redis must not take the gateway down).
      reconnectStrategy: (n: number, cause: Error) => (connected ? Math.min(50 * 2 ** n, 2_000) : cause),
    },
  });
  client.on('error', () => {});
  const adapter = new KeyvRedis(client, { throwOnConnectError: true });
  adapter.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    connected = true;
  } catch (e) {
    await adapter.disconnect().catch(() => {});
    throw new Error(`store: cannot reach Redis at REDIS_URL: ${(e as Error).message}`);
  }
  const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
  keyv.on('error', () => {});
  return createKvStore(
    'redis',
    keyv,
    {
      async take(fullKey) {
        const v = await client.getDel(fullKey);
        return typeof v === 'string' ? v : undefined;
      },
      async add(fullKey, raw, ttlMs) {
        const r = await client.set(fullKey, raw, ttlMs === undefined ? { NX: true } : { NX: true, PX: Math.max(1, Math.round(ttlMs)) });
        return r === 'OK';
      },
      async scan(fullPrefix) {
        const keys: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: globPrefix(fullPrefix), COUNT: 500 })) {
          // node-redis 5 yields arrays of keys per SCAN round.
          if (Array.isArray(batch)) keys.push(...(batch as string[]));
          else keys.push(batch as string);
        }
        if (keys.length === 0) return [];
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
      },
      async deleteMany(fullKeys) {
        for (let i = 0; i < fullKeys.length; i += 500) await client.del(fullKeys.slice(i, i + 500));
      },
    },
    async () => {
      await adapter.disconnect();
    },
  );
}
