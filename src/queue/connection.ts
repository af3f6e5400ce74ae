/**
 * BullMQ and its Redis driver, loaded on first use (the CLI starts without them, and a package
 * without them fails only this feature, with OPTIONAL_DEPENDENCY_MISSING).
 */
import type * as BullMqModule from 'bullmq';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { GatewayError } from '../errors.ts';

export type BullMq = typeof BullMqModule;
export type { RedisClient };

function missing(pkg: string): GatewayError {
  return new GatewayError(
    'OPTIONAL_DEPENDENCY_MISSING',
    `The job queue (FMU_GATEWAY_QUEUE_URL) needs the package ${pkg}: npm install ${pkg}`,
    {
      package: pkg,
      feature: 'FMU_GATEWAY_QUEUE_URL',
    },
  );
}

export async function loadBullMq(): Promise<BullMq> {
  try {
    const mod = (await import('bullmq')) as BullMq & { default?: BullMq };
    return typeof mod.Queue === 'function' ? mod : (mod.default as BullMq);
  } catch {
    throw missing('bullmq');
  }
}

/**
 * A Redis connection for `role`. Blocking roles (a BullMQ worker, an events listener, a pub/sub
 * subscriber) retry forever (BullMQ requires maxRetriesPerRequest: null); producers fail fast
 * when Redis is down, so a request gets QUEUE_UNAVAILABLE instead of waiting without bound.
 */
export async function connectRedis(url: string, role: 'blocking' | 'producer', name: string): Promise<RedisClient> {
  let Redis: typeof RedisClient;
  try {
    const mod = (await import('ioredis')) as { Redis?: typeof RedisClient; default?: { Redis?: typeof RedisClient } };
    // A CommonJS package imported from a bundle may expose its exports only as `default`.
    const ctor = mod.Redis ?? mod.default?.Redis;
    if (ctor === undefined) throw new Error('ioredis has no Redis export');
    Redis = ctor;
  } catch {
    throw missing('ioredis');
  }
  const opts: RedisOptions = {
    connectionName: name,
    // Reconnect quickly after a Redis restart; BullMQ re-subscribes by itself.
    retryStrategy: (times) => Math.min(100 * times, 1000),
    ...(role === 'blocking' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
  };
  const client = new Redis(url, opts);
  // Errors surface through the commands that fail; without a listener ioredis would print each
  // reconnection attempt as an unhandled 'error' event.
  client.on('error', () => undefined);
  if (role === 'producer') {
    // Without an offline queue, commands sent before the connection is up would fail: wait for it.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.disconnect();
        reject(queueUnavailable(new Error(`no connection to ${redactUrl(url)} within 10 s`)));
      }, 10_000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return client;
}

/** A Redis URL without its password, for messages and /health. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'redis://…';
  }
}

export function queueUnavailable(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError('QUEUE_UNAVAILABLE', `The job queue (Redis) cannot be reached: ${(e as Error).message}`, {
    retry_after: 5,
    hint: 'Retry in a few seconds; the operator should check FMU_GATEWAY_QUEUE_URL.',
  });
}
