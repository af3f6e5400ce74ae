/**
 * The account store: every repository over one key-value backend, chosen from the configuration
 * (DESIGN.md): DATABASE_URL → PostgreSQL, else REDIS_URL → Redis, else a SQLite file at dbPath
 * (FMU_GATEWAY_DB_PATH, /data/fmu_gateway.sqlite3 when /data exists, else ./local.db).
 */
import { createApiKeyRepository, type ApiKeyRepository } from './api-keys.ts';
import { createCreditRepository, type CreditRepository } from './credits.ts';
import type { BackendKind, KvStore } from './kv.ts';
import { openPostgresKv } from './kv-postgres.ts';
import { openRedisKv } from './kv-redis.ts';
import { openSqliteKv } from './kv-sqlite.ts';
import { createPaymentRepository, type PaymentRepository, type StoredTokenRecord } from './payments.ts';
import { createRunRepository, type RunRepository } from './runs.ts';
import { createUploadRepository, type UploadRepository } from './uploads.ts';
import { createUsageRepository, type UsageRepository } from './usage.ts';

export interface StoreLocation {
  dbPath: string;
  databaseUrl?: string;
  redisUrl?: string;
}

export interface AccountStore {
  readonly backend: BackendKind;
  /** Where the data is, for logs: a file path, or the URL without its password. */
  readonly location: string;
  readonly keys: ApiKeyRepository;
  readonly usage: UsageRepository;
  readonly runs: RunRepository;
  readonly uploads: UploadRepository;
  /** Prepaid run credits and their ledger (payments draw and grant through it). */
  readonly credits: CreditRepository;
  /** The raw store, for repositories defined elsewhere (payments' records are theirs). */
  readonly kv: KvStore;
  /** Payments' repository over this store, with payments' own record types. */
  payments<Session extends { session_id: string }, Token extends StoredTokenRecord>(): PaymentRepository<Session, Token>;
  close(): Promise<void>;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export async function openKv(loc: StoreLocation): Promise<{ kv: KvStore; location: string }> {
  if (loc.databaseUrl !== undefined && loc.databaseUrl !== '')
    return { kv: await openPostgresKv(loc.databaseUrl), location: redact(loc.databaseUrl) };
  if (loc.redisUrl !== undefined && loc.redisUrl !== '') return { kv: await openRedisKv(loc.redisUrl), location: redact(loc.redisUrl) };
  return { kv: await openSqliteKv(loc.dbPath), location: loc.dbPath };
}

export function createAccountStore(kv: KvStore, location: string): AccountStore {
  return {
    backend: kv.kind,
    location,
    keys: createApiKeyRepository(kv),
    usage: createUsageRepository(kv),
    runs: createRunRepository(kv),
    uploads: createUploadRepository(kv),
    credits: createCreditRepository(kv),
    kv,
    payments: () => createPaymentRepository(kv),
    close: () => kv.close(),
  };
}

export async function openAccountStore(loc: StoreLocation): Promise<AccountStore> {
  const { kv, location } = await openKv(loc);
  return createAccountStore(kv, location);
}

export type {
  ApiKeyRepository,
  BackendKind,
  CreditRepository,
  KvStore,
  PaymentRepository,
  RunRepository,
  StoredTokenRecord,
  UploadRepository,
  UsageRepository,
};
export { hashApiKey, looksLikeApiKey, API_KEY_PREFIX } from './api-keys.ts';
