/**
 * The retention sweep: run results and unused uploads older than RESULT_TTL_HOURS are deleted.
 * - a run result goes when it was written before the cutoff (with its run record, if any);
 * - an upload ownership goes when the caller has not uploaded or run it since the cutoff, and the
 *   FMU file when no ownership is left and the file itself is older than the cutoff (files that
 *   local faces stored without any account are swept by the same age rule).
 * Usage records are the billing history: those older than USAGE_RETENTION_DAYS roll up into
 * per-day totals per caller (the all-time totals of GET /usage stay exact), so the store does not
 * grow with every request forever.
 */
import type { AccountStore } from '../store/index.ts';
import type { ServiceContext } from './context.ts';

export interface SweepReport {
  runs_deleted: number;
  ownerships_deleted: number;
  uploads_deleted: number;
  usage_rolled_up: number;
  /** Ownerships written before claims carried their size, completed now (counted in the disk quota from now on). */
  upload_sizes_backfilled: number;
}

export async function sweepRetention(ctx: ServiceContext, accounts: AccountStore | undefined, now = new Date()): Promise<SweepReport> {
  const cutoff = new Date(now.getTime() - ctx.config.accounts.resultTtlHours * 3_600_000);
  const report: SweepReport = {
    runs_deleted: 0,
    ownerships_deleted: 0,
    uploads_deleted: 0,
    usage_rolled_up: 0,
    upload_sizes_backfilled: 0,
  };

  if (accounts !== undefined) {
    for (const run of await accounts.runs.listOlderThan(cutoff)) {
      ctx.results.remove(run.run_id);
      await accounts.runs.delete(run);
      report.runs_deleted++;
    }
  }
  for (const r of ctx.results.list()) {
    if (r.mtimeMs >= cutoff.getTime()) continue;
    // Record first, then file: a reader never finds a record whose result is gone for good.
    if (accounts !== undefined) {
      const rec = await accounts.runs.get(r.runId);
      if (rec !== undefined) await accounts.runs.delete(rec);
    }
    if (ctx.results.remove(r.runId)) report.runs_deleted++;
  }

  const owners = new Map<string, number>();
  if (accounts !== undefined) {
    for (const o of await accounts.uploads.listOwnerships()) {
      if (Date.parse(o.last_used_at) < cutoff.getTime()) {
        await accounts.uploads.deleteOwnership(o.sha256, o.key_hash);
        report.ownerships_deleted++;
      } else {
        owners.set(o.sha256, (owners.get(o.sha256) ?? 0) + 1);
        // A claim from before the disk counter (no size_bytes) counted 0 toward the quota: the
        // sweep that already lists every claim completes it once (the first sweep runs at start).
        if (o.size_bytes === undefined && (await accounts.uploads.backfillSize(o.sha256, o.key_hash))) report.upload_sizes_backfilled++;
      }
    }
  }
  let candidates = ctx.fmuStore.list().filter((f) => !owners.has(f.sha256) && f.mtimeMs < cutoff.getTime());
  if (candidates.length > 0 && accounts !== undefined) {
    // Scanned again right before deleting: an upload may have claimed one of them meanwhile.
    const claimed = new Set((await accounts.uploads.listOwnerships()).map((o) => o.sha256));
    candidates = candidates.filter((f) => !claimed.has(f.sha256));
  }
  for (const f of candidates) {
    if (ctx.fmuStore.remove(f.sha256)) report.uploads_deleted++;
    await accounts?.uploads.deleteUpload(f.sha256);
  }
  if (accounts !== undefined) {
    const usageCutoff = new Date(now.getTime() - ctx.config.accounts.usageRetentionDays * 86_400_000);
    report.usage_rolled_up = await accounts.usage.rollUp(usageCutoff);
  }
  if (
    report.runs_deleted + report.ownerships_deleted + report.uploads_deleted + report.usage_rolled_up + report.upload_sizes_backfilled >
    0
  )
    ctx.logger.info('retention sweep', { ...report });
  return report;
}
