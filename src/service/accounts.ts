/**
 * Account use cases of the hosted gateway: API keys, the caller-scoped context, usage and runs.
 * The store arrives as an argument (the faces wire it once).
 */
import { GatewayError } from '../errors.ts';
import {
  ANONYMOUS_CALLER,
  type ApiKeyRecord,
  type CreateKeyInput,
  type CreateKeyOutput,
  type RunRecord,
  type UsageList,
} from '../schemas/accounts.ts';
import type { AccountStore } from '../store/index.ts';
import type { CallerAccess } from './access.ts';
import { createCallerAccess } from './caller-access.ts';
import type { ServiceContext } from './context.ts';
import { assertRunVisible, readRunResult } from './read-run.ts';

export type { AccountStore };

export async function createApiKey(accounts: AccountStore, input: CreateKeyInput = {}): Promise<CreateKeyOutput> {
  const { key, record } = await accounts.keys.create(input.label === undefined ? {} : { label: input.label });
  return {
    key,
    key_prefix: record.key_prefix,
    created_at: record.created_at,
    ...(record.label === undefined ? {} : { label: record.label }),
  };
}

/** The key's record; UNAUTHORIZED for a missing, malformed, unknown or revoked key. */
export async function authenticateKey(accounts: AccountStore, key: string | undefined): Promise<ApiKeyRecord> {
  if (key === undefined || key === '') {
    throw new GatewayError('UNAUTHORIZED', 'This route needs an API key: send "Authorization: Bearer <key>".', {
      hint: 'POST /keys creates a key (no authentication needed); send it as "Authorization: Bearer <key>".',
    });
  }
  const record = await accounts.keys.verify(key);
  if (record === undefined) {
    throw new GatewayError('UNAUTHORIZED', 'The API key is not valid on this gateway.', {
      hint: 'Check that the whole key was sent, or create a new one with POST /keys.',
    });
  }
  return record;
}

export { ANONYMOUS_CALLER };

/** The service context of one request of one caller (uploads and runs scoped, usage recorded). */
export function scopeToCaller(
  ctx: ServiceContext,
  accounts: AccountStore,
  callerId: string,
  surface: CallerAccess['surface'],
): ServiceContext {
  return { ...ctx, access: createCallerAccess(accounts, { callerId, surface, diskQuotaBytes: ctx.config.accounts.diskQuotaBytes }) };
}

/**
 * One page of the caller's usage, newest first, with true totals: without `since`, the all-time
 * counters (records rolled up into days included; one read each); with `since`, the sum over that
 * window, read page by page from the caller's own index (never other callers' rows).
 */
export async function listUsage(
  accounts: AccountStore,
  callerId: string,
  opts: { since?: Date; limit?: number; cursor?: string } = {},
): Promise<UsageList> {
  const since = opts.since !== undefined ? { since: opts.since } : {};
  const page = await accounts.usage.page(callerId, {
    limit: opts.limit ?? 1000,
    ...since,
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
  });
  let totals;
  if (opts.since === undefined) totals = await accounts.usage.totals(callerId);
  else {
    totals = { total_runs: 0, total_rows: 0, total_duration_ms: 0 };
    let cursor: string | undefined;
    do {
      const p = await accounts.usage.page(callerId, { limit: 5000, ...since, ...(cursor !== undefined ? { cursor } : {}) });
      for (const r of p.records) {
        totals.total_runs++;
        totals.total_rows += r.rows;
        totals.total_duration_ms += r.duration_ms;
      }
      cursor = p.next_cursor;
    } while (cursor !== undefined);
  }
  return {
    records: page.records.map(({ key_hash: _k, ...r }) => r),
    ...totals,
    ...(page.next_cursor !== undefined ? { next_cursor: page.next_cursor } : {}),
  };
}

export interface RunInfo {
  run: Omit<RunRecord, 'key_hash'>;
  meta: Record<string, unknown>;
}

/** A run's record and stored metadata, for its owner; NOT_FOUND for anyone else. */
export async function getRunInfo(ctx: ServiceContext, accounts: AccountStore, runId: string): Promise<RunInfo> {
  await assertRunVisible(ctx, runId);
  const meta = readRunResult(ctx, runId).meta;
  const rec = await accounts.runs.get(runId);
  if (rec === undefined) throw new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, { run_id: runId });
  const { key_hash: _k, ...run } = rec;
  return { run, meta };
}
