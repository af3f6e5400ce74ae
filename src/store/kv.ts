/**
 * The one key-value store every repository writes to: keyv 5 over SQLite, PostgreSQL or Redis,
 * plus the few operations keyv does not have, done natively by each backend:
 * - `take`: read-and-delete in one atomic step (single-use tokens, one-shot flags);
 * - `add`: insert only when the key is absent (uniqueness without a read-then-write race);
 * - `scan`: every live entry under a key prefix (listing a caller's usage, the retention sweep).
 *
 * Values go through keyv's own serializer and expiry envelope ({ value, expires }), so an entry
 * written by `set` reads back the same through `take` and `scan` on every backend.
 */
import type Keyv from 'keyv';

/** All keys of this project live under this prefix (a shared Redis or database stays tidy). */
export const KEY_PREFIX = 'fmugw:';

export type BackendKind = 'sqlite' | 'postgres' | 'redis';

/** A serialized keyv entry as stored by the backend (a JSON string). */
export type RawValue = string;

/** What each backend implements natively, on full (prefixed) keys and serialized values. */
export interface NativeOps {
  /** Atomically deletes the key and returns what it held (undefined when absent). */
  take(fullKey: string): Promise<RawValue | undefined>;
  /** Inserts when absent; true when this call inserted. ttlMs is for backends with native expiry. */
  add(fullKey: string, raw: RawValue, ttlMs: number | undefined): Promise<boolean>;
  /** Every [fullKey, raw] whose key starts with fullPrefix (any order). */
  scan(fullPrefix: string): Promise<[string, RawValue][]>;
  /** Deletes the given keys in one round trip. */
  deleteMany(fullKeys: string[]): Promise<void>;
}

export interface KvStore {
  readonly kind: BackendKind;
  get<T>(key: string): Promise<T | undefined>;
  /** Awaited write; throws when the backend refused it (never a silent false). */
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  take<T>(key: string): Promise<T | undefined>;
  add<T>(key: string, value: T, ttlMs?: number): Promise<boolean>;
  /** Live entries under a prefix, as [key without KEY_PREFIX, value]; sorted by key. */
  scan<T>(prefix: string): Promise<[string, T][]>;
  deleteMany(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

interface Envelope<T> {
  value: T;
  expires?: number | null;
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

  return {
    kind,
    async get<T>(key: string) {
      return (await keyv.get(full(key))) as T | undefined;
    },
    async set<T>(key: string, value: T, ttlMs?: number) {
      const ok = await keyv.set(full(key), value, ttlMs);
      if (!ok) throw new Error(`store: the ${kind} backend did not accept the write of ${key}`);
    },
    async delete(key) {
      return keyv.delete(full(key));
    },
    async take<T>(key: string) {
      const env = await decode<T>(await native.take(full(key)));
      return live(env) ? env.value : undefined;
    },
    async add<T>(key: string, value: T, ttlMs?: number) {
      return native.add(full(key), await encode(value, ttlMs), ttlMs);
    },
    async scan<T>(prefix: string) {
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
    },
    async deleteMany(keys) {
      if (keys.length > 0) await native.deleteMany(keys.map(full));
    },
    close,
  };
}

/** Escapes a literal prefix for SQL LIKE with ESCAPE '\'. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
