/**
 * API keys. A key is 32 random bytes (base64url) behind a recognisable prefix; only its sha256 is
 * stored. A plain hash (not a slow KDF) is right here: the key is high-entropy random, so there is
 * nothing to brute-force, and every request must verify it cheaply.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiKeyRecordSchema, type ApiKeyRecord } from '../schemas/accounts.ts';
import type { KvStore } from './kv.ts';

export const API_KEY_PREFIX = 'fmugw_';
const KEY_SHAPE = /^fmugw_[A-Za-z0-9_-]{43}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when the string has the shape of one of our keys (checked before any store lookup). */
export function looksLikeApiKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

export interface ApiKeyRepository {
  /** Creates and stores a key; resolves only once the record is durable. */
  create(opts?: { label?: string; now?: Date }): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The record of a key, or undefined for an unknown, revoked or malformed key. */
  verify(key: string): Promise<ApiKeyRecord | undefined>;
  /**
   * The key_hash a presented key has IF it is valid, without a store read (undefined for a string
   * not shaped like a key): says nothing about whether it is valid.
   */
  hashOf(key: string): string | undefined;
  get(keyHash: string): Promise<ApiKeyRecord | undefined>;
  revoke(keyHash: string): Promise<boolean>;
}

export function createApiKeyRepository(kv: KvStore): ApiKeyRepository {
  const id = (hash: string) => `apikey:${hash}`;
  const get = async (hash: string) => {
    const v = await kv.get<unknown>(id(hash));
    return v === undefined ? undefined : ApiKeyRecordSchema.parse(v);
  };
  return {
    async create(opts = {}) {
      // `add` (insert-if-absent) rather than set: a collision of 256-bit keys will not happen, but
      // if it did, overwriting someone's key record would be the worst way to find out.
      for (;;) {
        const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
        const record: ApiKeyRecord = {
          key_hash: hashApiKey(key),
          key_prefix: key.slice(0, API_KEY_PREFIX.length + 6),
          created_at: (opts.now ?? new Date()).toISOString(),
          ...(opts.label === undefined ? {} : { label: opts.label }),
        };
        if (await kv.add(id(record.key_hash), record)) return { key, record };
      }
    },
    async verify(key) {
      if (!looksLikeApiKey(key)) return undefined;
      return get(hashApiKey(key));
    },
    hashOf: (key) => (looksLikeApiKey(key) ? hashApiKey(key) : undefined),
    get,
    async revoke(keyHash) {
      return kv.delete(id(keyHash));
    },
  };
}
