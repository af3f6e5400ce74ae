/**
 * The one key-value store every repository writes to: keyv 5 over SQLite, PostgreSQL or Redis,
 * plus the few operations keyv does not have, done natively by each backend:
 * - `take`: read-and-delete in one atomic step (single-use tokens, one-shot flags);
 * - `add`: insert only when the key is absent (uniqueness without a read-then-write race);
 * - `scan`: every live entry under a key prefix (the retention sweep);
 * - `page`: one ordered page of a caller's family (usage, runs, uploads) through an index, so a
 *   request costs the same however many rows OTHER callers have;
 * - `counter`: a per-caller total maintained atomically with the writes that change it (SQL
 *   triggers, a Redis script), so quotas and usage totals are one indexed read, never a scan.
 *
 * Values go through keyv's own serializer and expiry envelope ({ value, expires }), so an entry
 * written by `set` reads back the same through `take`, `scan` and `page` on every backend.
 *
 * Every backend failure leaves this module as one coded error (storeFault): STORE_UNAVAILABLE
 * (503 + Retry-After), or DISK_FULL for a full local database. A read that failed is never
 * "absent": callers cannot mistake an outage for an unknown key.
 */
import type Keyv from 'keyv';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { FoldOptions } from './usage-fold.ts';

/** All keys of this project live under this prefix (a shared Redis or database stays tidy). */
export const KEY_PREFIX = 'fmugw:';

export type BackendKind = 'sqlite' | 'postgres' | 'redis';

/** A serialized keyv entry as stored by the backend (a JSON string). */
export type RawValue = string;

/**
 * A per-caller counter kept by the backend beside the rows of one key family
 * (`<family><caller>:<rest>`): `balance` counters follow inserts, updates and deletes (disk held);
 * `append` counters only grow on inserts (all-time usage totals survive the usage roll-up).
 * `field` is the number summed from the stored value (absent: each row counts 1).
 */
export interface CounterRule {
  family: string;
  counter: string;
  field?: string;
  mode: 'balance' | 'append';
}

export const COUNTER_RULES: readonly CounterRule[] = [
  { family: 'run_by:', counter: 'disk_bytes', field: 'result_bytes', mode: 'balance' },
  { family: 'upload_owner:', counter: 'disk_bytes', field: 'size_bytes', mode: 'balance' },
  { family: 'usage:', counter: 'usage_runs', mode: 'append' },
  { family: 'usage:', counter: 'usage_rows', field: 'rows', mode: 'append' },
  { family: 'usage:', counter: 'usage_ms', field: 'duration_ms', mode: 'append' },
];

/** Families read a caller at a time, in key order (backends without ordered keys index them). */
export const INDEXED_FAMILIES: readonly string[] = ['usage:', 'usage_day:', 'run_by:', 'upload_owner:', 'credit_ledger:'];

/** Where counters live (a separate table / key space, never mixed with records). */
export const counterKey = (counter: string, caller: string): string => `${KEY_PREFIX}count:${counter}:${caller}`;

/** `<family><caller>:…` → the caller segment, or undefined when the key is not in the family. */
export function callerOfKey(fullKey: string, family: string): string | undefined {
  const head = KEY_PREFIX + family;
  if (!fullKey.startsWith(head)) return undefined;
  const end = fullKey.indexOf(':', head.length);
  return end < 0 ? undefined : fullKey.slice(head.length, end);
}

/** The index (sorted set) a full key belongs to on backends without ordered keys. */
export function indexOfKey(fullKey: string): string | undefined {
  for (const fam of INDEXED_FAMILIES) {
    const caller = callerOfKey(fullKey, fam);
    if (caller !== undefined) return `${KEY_PREFIX}idx:${fam}${caller}:`;
  }
  return undefined;
}

/**
 * One conditional write of several keys, applied entirely or not at all (credits: a balance that
 * must not go below `min`, one-shot markers that make a purchase or refund count once, and the
 * ledger entry written with them). Keys are full (prefixed), values serialized.
 */
export interface AtomicWrite {
  /** The counter changed by `delta`; the write is refused when the result would be below `min`. */
  counter: { key: string; delta: number; min: number };
  /** Keys that must all be absent; they are inserted with the write (refused when one exists). */
  once: [string, RawValue][];
  /** Keys written (inserted or replaced) with the write. */
  puts: [string, RawValue][];
}

/** `value`: the counter after the write (applied) or as it stands (refused). */
export type AtomicOutcome = { ok: true; value: number } | { ok: false; reason: 'once' | 'counter'; value: number };

export interface RangeOptions {
  limit: number;
  /** Newest (largest key) first. */
  reverse?: boolean;
  /** Continue after this full key (exclusive), in the traversal direction. */
  after?: string;
  /** Only keys >= this full key. */
  from?: string;
}

/** What each backend implements natively, on full (prefixed) keys and serialized values. */
export interface NativeOps {
  /** Atomically deletes the key and returns what it held (undefined when absent). */
  take(fullKey: string): Promise<RawValue | undefined>;
  /** Inserts when absent; true when this call inserted. ttlMs is for backends with native expiry. */
  add(fullKey: string, raw: RawValue, ttlMs: number | undefined): Promise<boolean>;
  /** Every [fullKey, raw] whose key starts with fullPrefix (any order). */
  scan(fullPrefix: string): Promise<[string, RawValue][]>;
  /** One ordered page of [fullKey, raw] under fullPrefix, through an index. */
  range(fullPrefix: string, opts: RangeOptions): Promise<[string, RawValue][]>;
  /** A counter's value (0 when never written). */
  counter(fullCounterKey: string): Promise<number>;
  /** Up to `limit` usage record keys (any caller) whose time stamp is before cutoffMs. */
  usageBefore(cutoffMs: number, limit: number): Promise<string[]>;
  /** Deletes the given keys in one round trip. */
  deleteMany(fullKeys: string[]): Promise<void>;
  /**
   * The usage roll-up of these record keys as ONE atomic step (a transaction; Redis MULTI/EXEC):
   * the records that still exist are summed into their day rows (usage-fold.ts) and deleted. A
   * crash anywhere leaves either all of it or none of it, so a re-run never counts a record twice.
   * Returns how many records were folded.
   */
  foldUsage(fullKeys: string[], opts?: FoldOptions): Promise<number>;
  /** One cheap round trip: throws when the backend cannot serve. */
  ping(): Promise<void>;
  /** The conditional multi-key write (AtomicWrite), in one transaction / one script. */
  atomic(w: AtomicWrite): Promise<AtomicOutcome>;
  /**
   * Several records written as ONE transaction (all or none). Optional: a backend without it gets
   * one set per record, concurrently (what callers did before it existed).
   */
  setMany?(rows: [string, RawValue][]): Promise<void>;
  /** Backends whose keyv adapter hides errors replace keyv's get / set / delete. */
  get?(fullKey: string): Promise<RawValue | undefined>;
  set?(fullKey: string, raw: RawValue, ttlMs: number | undefined): Promise<void>;
  delete?(fullKey: string): Promise<boolean>;
}

export interface Page<T> {
  items: [string, T][];
  /** Opaque cursor for the next page; absent on the last one. */
  next?: string;
}

export interface KvStore {
  readonly kind: BackendKind;
  get<T>(key: string): Promise<T | undefined>;
  /** Awaited write; throws when the backend refused it (never a silent false). */
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Several records (no expiry) in one write: one transaction where the backend has them (SQLite:
   * one commit instead of one per record, the main thread's cost of a run's records), else one
   * set each, concurrently. Throws when the backend refused it, as set.
   */
  setMany(rows: [string, unknown][]): Promise<void>;
  take<T>(key: string): Promise<T | undefined>;
  add<T>(key: string, value: T, ttlMs?: number): Promise<boolean>;
  /** Live entries under a prefix, as [key without KEY_PREFIX, value]; sorted by key. */
  scan<T>(prefix: string): Promise<[string, T][]>;
  /** One page of an indexed family prefix (`usage:<caller>:`), keys without KEY_PREFIX. */
  page<T>(prefix: string, opts: { limit: number; reverse?: boolean; cursor?: string; from?: string }): Promise<Page<T>>;
  /** A maintained counter (COUNTER_RULES) of one caller. */
  counter(counter: string, caller: string): Promise<number>;
  /** Usage record keys (without KEY_PREFIX) older than cutoffMs, at most `limit`. */
  usageBefore(cutoffMs: number, limit: number): Promise<string[]>;
  deleteMany(keys: string[]): Promise<void>;
  /** Usage records (keys without KEY_PREFIX) folded into day totals and deleted, atomically (NativeOps.foldUsage). */
  foldUsage(keys: string[], opts?: FoldOptions): Promise<number>;
  /** Throws STORE_UNAVAILABLE when the backend cannot serve (health checks). */
  ping(): Promise<void>;
  /**
   * AtomicWrite on unprefixed keys and plain values: `counter` is a counter name of `caller`
   * (read back with counter()), `once` and `puts` are records (stored without expiry).
   */
  atomic(w: {
    counter: { name: string; caller: string; delta: number; min: number };
    once: [string, unknown][];
    puts: [string, unknown][];
  }): Promise<AtomicOutcome>;
  close(): Promise<void>;
}

interface Envelope<T> {
  value: T;
  expires?: number | null;
}

/** Seconds a client should wait before retrying after a store outage. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** pg-pool's error when no pooled connection freed up within connectionTimeoutMillis. */
const PG_POOL_QUEUE_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * The one classification of backend failures, whatever the driver: a full local database file is
 * DISK_FULL (the operator frees space; it recovers by itself), anything else the backend throws
 * (connection refused or dropped, server shutting down, read-only replica, refused writes, out of
 * memory, timeouts) is STORE_UNAVAILABLE; a PostgreSQL pool whose connections all stayed busy is
 * SERVER_BUSY (overload, not an outage). All carry Retry-After. A driver swap keeps this as long
 * as its errors carry the usual `code` / message.
 */
export function storeFault(e: unknown, kind: BackendKind, op: string): GatewayError {
  if (isGatewayError(e)) return e;
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || /SQLITE_FULL|database or disk is full|ENOSPC/.test(message);
  if (code === undefined && message === PG_POOL_QUEUE_TIMEOUT) {
    // Every pooled connection was busy for the whole wait: the store is up, the gateway is
    // overloaded (a store outage fails the connect itself, with its own error).
    return new GatewayError('SERVER_BUSY', `The account store's (${kind}) connections are all busy; the request was not completed.`, {
      retry_after_seconds: STORE_RETRY_AFTER_SECONDS,
      backend: kind,
      operation: op,
      hint: 'The gateway is busy: retry after the Retry-After delay, or send fewer requests at once.',
    });
  }
  if (full) {
    return new GatewayError('DISK_FULL', 'The gateway is out of disk space; nothing was stored. Retry shortly.', {
      retry_after_seconds: 30,
      backend: kind,
      operation: op,
      hint: 'This is the gateway operator’s problem, not the request’s: retry after the Retry-After delay.',
    });
  }
  return new GatewayError('STORE_UNAVAILABLE', `The account store (${kind}) is unavailable; the request was not completed.`, {
    retry_after_seconds: STORE_RETRY_AFTER_SECONDS,
    backend: kind,
    operation: op,
    cause: (code !== undefined ? `${code}: ` : '') + message.slice(0, 200),
    hint: 'Retry after the Retry-After delay; nothing was recorded for this request.',
  });
}

/** The smallest string greater than every string starting with `prefix` (for range scans). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Builds the store over a keyv instance created with `namespace: undefined` and
 * `useKeyPrefix: false` (keys reach the backend exactly as given, so native ops address the
 * same rows) and `throwOnErrors: true` (a failed write must not look like a success).
 */
export function createKvStore(kind: BackendKind, keyv: Keyv, native: NativeOps, close: () => Promise<void>): KvStore {
  const full = (key: string) => KEY_PREFIX + key;
  const { serialize, deserialize } = keyv;
  if (serialize === undefined || deserialize === undefined) throw new Error('store: keyv was built without a serializer');
  const decode = async <T>(raw: RawValue | undefined): Promise<Envelope<T> | undefined> => {
    if (raw === undefined || raw === null) return undefined;
    const env = (await deserialize(raw)) as Envelope<T> | undefined;
    if (env === undefined || env === null || typeof env !== 'object') return undefined;
    return env;
  };
  const live = <T>(env: Envelope<T> | undefined): env is Envelope<T> =>
    env !== undefined && !(typeof env.expires === 'number' && Date.now() > env.expires);
  const encode = async <T>(value: T, ttlMs: number | undefined): Promise<RawValue> =>
    (await serialize({ value, expires: ttlMs === undefined ? undefined : Date.now() + ttlMs })) as RawValue;
  const guard = async <R>(op: string, f: () => Promise<R>): Promise<R> => {
    try {
      return await f();
    } catch (e) {
      throw storeFault(e, kind, op);
    }
  };
  const cursorOf = (fullKey: string) => Buffer.from(fullKey, 'utf8').toString('base64url');
  const keyOfCursor = (cursor: string, fullPrefix: string): string => {
    const k = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!k.startsWith(fullPrefix)) throw new GatewayError('BAD_REQUEST', 'The cursor does not belong to this list.');
    return k;
  };

  const store: KvStore = {
    kind,
    get<T>(key: string) {
      return guard('get', async () => {
        if (native.get === undefined) return (await keyv.get(full(key))) as T | undefined;
        const env = await decode<T>(await native.get(full(key)));
        return live(env) ? env.value : undefined;
      });
    },
    set<T>(key: string, value: T, ttlMs?: number) {
      return guard('set', async () => {
        if (native.set !== undefined) return native.set(full(key), await encode(value, ttlMs), ttlMs);
        const ok = await keyv.set(full(key), value, ttlMs);
        if (!ok) throw new Error(`store: the ${kind} backend did not accept the write of ${key}`);
      });
    },
    delete(key) {
      return guard('delete', () => (native.delete !== undefined ? native.delete(full(key)) : keyv.delete(full(key))));
    },
    setMany(rows) {
      if (native.setMany === undefined) return Promise.all(rows.map(([k, v]) => store.set(k, v))).then(() => undefined);
      const setMany = native.setMany.bind(native);
      return guard('setMany', async () => {
        if (rows.length === 0) return;
        const encoded = await Promise.all(rows.map(async ([k, v]): Promise<[string, RawValue]> => [full(k), await encode(v, undefined)]));
        await setMany(encoded);
      });
    },
    take<T>(key: string) {
      return guard('take', async () => {
        const env = await decode<T>(await native.take(full(key)));
        return live(env) ? env.value : undefined;
      });
    },
    add<T>(key: string, value: T, ttlMs?: number) {
      return guard('add', async () => native.add(full(key), await encode(value, ttlMs), ttlMs));
    },
    scan<T>(prefix: string) {
      return guard('scan', async () => {
        const rows = await native.scan(full(prefix));
        const out: [string, T][] = [];
        const expired: string[] = [];
        for (const [k, raw] of rows) {
          const env = await decode<T>(raw);
          if (live(env)) out.push([k.slice(KEY_PREFIX.length), env.value]);
          else expired.push(k);
        }
        // Expired entries of backends without native expiry are dropped as they are met.
        if (expired.length > 0) await native.deleteMany(expired);
        out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        return out;
      });
    },
    async page<T>(prefix: string, opts: { limit: number; reverse?: boolean; cursor?: string; from?: string }) {
      const fp = full(prefix);
      const after = opts.cursor === undefined ? undefined : keyOfCursor(opts.cursor, fp);
      return guard('page', async () => {
        const limit = Math.max(1, Math.floor(opts.limit));
        const rows = await native.range(fp, {
          limit: limit + 1,
          ...(opts.reverse === true ? { reverse: true } : {}),
          ...(after !== undefined ? { after } : {}),
          ...(opts.from !== undefined ? { from: full(opts.from) } : {}),
        });
        const items: [string, T][] = [];
        for (const [k, raw] of rows.slice(0, limit)) {
          const env = await decode<T>(raw);
          if (live(env)) items.push([k.slice(KEY_PREFIX.length), env.value]);
        }
        const last = rows[limit - 1];
        return rows.length > limit && last !== undefined ? { items, next: cursorOf(last[0]) } : { items };
      });
    },
    counter(counter, caller) {
      return guard('counter', () => native.counter(counterKey(counter, caller)));
    },
    usageBefore(cutoffMs, limit) {
      return guard('usageBefore', async () => (await native.usageBefore(cutoffMs, limit)).map((k) => k.slice(KEY_PREFIX.length)));
    },
    deleteMany(keys) {
      return guard('deleteMany', async () => {
        if (keys.length > 0) await native.deleteMany(keys.map(full));
      });
    },
    foldUsage(keys, opts) {
      return guard('foldUsage', async () => (keys.length === 0 ? 0 : native.foldUsage(keys.map(full), opts)));
    },
    ping() {
      return guard('ping', () => native.ping());
    },
    atomic(w) {
      return guard('atomic', async () => {
        const enc = async (rows: [string, unknown][]) =>
          Promise.all(rows.map(async ([k, v]): Promise<[string, RawValue]> => [full(k), await encode(v, undefined)]));
        return native.atomic({
          counter: { key: counterKey(w.counter.name, w.counter.caller), delta: w.counter.delta, min: w.counter.min },
          once: await enc(w.once),
          puts: await enc(w.puts),
        });
      });
    },
    close,
  };
  return store;
}

/** Escapes a literal prefix for SQL LIKE with ESCAPE '\'. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Fixed-width millisecond time stamp at the start of a usage key's last segment. */
export const USAGE_STAMP_WIDTH = 15;
