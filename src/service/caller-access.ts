/**
 * CallerAccess over the account store: what a request's caller may see, what it is charged with.
 * Built once per request by the faces that serve several callers (src/http).
 */
import { GatewayError } from '../errors.ts';
import type { AccountStore } from '../store/index.ts';
import type { CallerAccess } from './access.ts';

export interface CallerAccessOptions {
  callerId: string;
  surface: CallerAccess['surface'];
  /** Disk a caller may hold (uploads + results), bytes; 0 = no limit. */
  diskQuotaBytes: number;
}

/** Disk held by a caller: its uploads (each counted in full, even if shared) and its results. Lists them (reports, tests). */
export async function diskUsedBy(accounts: AccountStore, callerId: string): Promise<{ uploads: number; results: number }> {
  const [owned, runs] = await Promise.all([accounts.uploads.listOwned(callerId), accounts.runs.listByOwner(callerId)]);
  return {
    uploads: owned.reduce((s, o) => s + o.size_bytes, 0),
    results: runs.reduce((s, r) => s + r.result_bytes, 0),
  };
}

/** Disk held by a caller, from the counter the store keeps with every run and upload write: one read. */
export function diskCounted(accounts: AccountStore, callerId: string): Promise<number> {
  return accounts.kv.counter('disk_bytes', callerId);
}

export function createCallerAccess(accounts: AccountStore, opts: CallerAccessOptions): CallerAccess {
  const { callerId, surface } = opts;
  return {
    callerId,
    surface,
    async canUseUpload(sha256) {
      return (await accounts.uploads.getOwned(sha256, callerId)) !== undefined;
    },
    async canReadRun(runId) {
      return (await accounts.runs.getOwned(runId, callerId)) !== undefined;
    },
    async checkQuota(extraBytes) {
      if (opts.diskQuotaBytes <= 0) return;
      // The counter is the per-request check (constant cost); the itemised split is computed only
      // for the refusal's details.
      const total = await diskCounted(accounts, callerId);
      if (total + extraBytes > opts.diskQuotaBytes) {
        const used = await diskUsedBy(accounts, callerId);
        const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
        throw new GatewayError(
          'QUOTA_EXCEEDED',
          `This key holds ${mb(total)} MB of uploads and results; its quota is ${mb(opts.diskQuotaBytes)} MB`,
          {
            used_bytes: total,
            uploads_bytes: used.uploads,
            results_bytes: used.results,
            requested_bytes: extraBytes,
            quota_bytes: opts.diskQuotaBytes,
            hint: 'Old results and unused uploads are deleted after RESULT_TTL_HOURS; wait for that, or ask the operator for a larger KEY_DISK_QUOTA_MB.',
          },
        );
      }
    },
    async onUploaded(facts) {
      const now = new Date();
      await accounts.uploads.recordUpload({ ...facts, first_uploaded_at: now.toISOString() }, callerId, now);
    },
    async onRunFinished(f) {
      const time = new Date(f.started_at.getTime() + f.duration_ms).toISOString();
      // The usage record and the run's ownership records in one write: one transaction on SQLite
      // (one commit instead of three, all or none), concurrent sets elsewhere.
      const rows: [string, unknown][] = [
        accounts.usage.entry({
          key_hash: callerId,
          time,
          fmu_id: f.fmu_id,
          duration_ms: f.duration_ms,
          rows: f.rows,
          status: f.status,
          surface,
          ...(f.run_id !== undefined ? { run_id: f.run_id } : {}),
          ...(f.error_code !== undefined ? { error_code: f.error_code } : {}),
        }),
      ];
      if (f.run_id !== undefined) {
        rows.push(
          ...accounts.runs.entries({
            run_id: f.run_id,
            key_hash: callerId,
            fmu_id: f.fmu_id,
            created_at: f.started_at.toISOString(),
            status: f.status === 'completed' ? 'completed' : 'failed',
            rows: f.rows,
            result_bytes: f.result_bytes,
            duration_ms: f.duration_ms,
          }),
        );
      }
      const writes: Promise<void>[] = [accounts.kv.setMany(rows)];
      // A run keeps the upload it used from expiring.
      if (f.fmu_id.startsWith('sha256:')) writes.push(accounts.uploads.touch(f.fmu_id.slice('sha256:'.length), callerId));
      await Promise.all(writes);
    },
  };
}
