/**
 * The caller-scoped use cases over a real SQLite account store: uploads and runs visible only to
 * their caller, usage recorded, the disk quota, and the retention sweep deleting old results and
 * unused uploads (and nothing still in use).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ANONYMOUS_CALLER } from '../../src/schemas/accounts.ts';
import { scopeToCaller } from '../../src/service/accounts.ts';
import { assertRunVisible } from '../../src/service/read-run.ts';
import { sweepRetention } from '../../src/service/retention.ts';
import { getVariables } from '../../src/service/get-variables.ts';
import { simulate } from '../../src/service/simulate.ts';
import { uploadFmu } from '../../src/service/upload-fmu.ts';
import { openAccountStore, type AccountStore } from '../../src/store/index.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

const K1 = '1'.repeat(64);
const K2 = '2'.repeat(64);
const HOUR = 3_600_000;

let built: Map<string, string>;
let fmu: Buffer;
const cleanups: (() => void | Promise<void>)[] = [];

before(async () => {
  built = await buildModels(['Dahlquist']);
  fmu = readFileSync(built.get('Dahlquist@2.0') as string);
});
after(async () => {
  for (const c of cleanups) await c();
});

async function setup(env: Record<string, string> = {}): Promise<{ t: ReturnType<typeof createTestContext>; accounts: AccountStore }> {
  const t = createTestContext(built, { RESULT_TTL_HOURS: '1', ...env });
  const accounts = await openAccountStore({ dbPath: join(t.ctx.config.dataDir, 'accounts.sqlite3') });
  cleanups.push(async () => {
    await accounts.close();
    t.cleanup();
  });
  return { t, accounts };
}

describe('caller-scoped use cases', () => {
  it('shows an upload and its runs only to the caller that made them, and records usage', async () => {
    const { t, accounts } = await setup();
    const one = scopeToCaller(t.ctx, accounts, K1, 'rest');
    const two = scopeToCaller(t.ctx, accounts, K2, 'rest');
    const { fmu_id } = await uploadFmu(one, { content_base64: fmu.toString('base64') });
    assert.equal((await getVariables(one, { fmu_id })).model_name, 'Dahlquist');
    await assert.rejects(getVariables(two, { fmu_id }), isCode('NOT_FOUND'));
    await assert.rejects(simulate(two, { fmu_id, stop_time: 1 }), isCode('NOT_FOUND'));
    // The local faces (no access) keep seeing everything.
    assert.equal((await getVariables(t.ctx, { fmu_id })).model_name, 'Dahlquist');

    const { output } = await simulate(one, { fmu_id, stop_time: 1, step: 0.1 });
    await assertRunVisible(one, output.run_id);
    await assert.rejects(assertRunVisible(two, output.run_id), isCode('NOT_FOUND'));
    const usage = await accounts.usage.list(K1);
    assert.equal(usage.length, 1);
    assert.equal(usage[0]?.run_id, output.run_id);
    assert.equal(usage[0]?.rows, 11);
    assert.equal(usage[0]?.status, 'completed');
    assert.deepEqual(await accounts.usage.list(K2), []);
    assert.equal((await accounts.runs.get(output.run_id))?.key_hash, K1);
  });

  it('does not bill a request refused before the engine ran', async () => {
    const { t, accounts } = await setup({ MAX_OUTPUT_ROWS: '5' });
    const anon = scopeToCaller(t.ctx, accounts, ANONYMOUS_CALLER, 'mcp');
    await assert.rejects(simulate(anon, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1 }), isCode('OUTPUT_LIMIT_EXCEEDED'));
    assert.deepEqual(await accounts.usage.list(ANONYMOUS_CALLER), []);
  });

  it('refuses uploads and runs past the disk quota with QUOTA_EXCEEDED', async () => {
    const quotaBytes = fmu.byteLength + 10;
    const { t, accounts } = await setup({ KEY_DISK_QUOTA_MB: String(quotaBytes / 1048576) });
    const one = scopeToCaller(t.ctx, accounts, K1, 'rest');
    const { fmu_id } = await uploadFmu(one, { content_base64: fmu.toString('base64') });
    await simulate(one, { fmu_id, stop_time: 1, step: 0.1 });
    await assert.rejects(simulate(one, { fmu_id, stop_time: 1, step: 0.1 }), isCode('QUOTA_EXCEEDED'));
    // Another caller has its own quota; uploading bytes it already owns costs nothing more.
    const two = scopeToCaller(t.ctx, accounts, K2, 'rest');
    await uploadFmu(two, { content_base64: fmu.toString('base64') });
    await uploadFmu(two, { content_base64: fmu.toString('base64') });
    const big = readFileSync(built.get('Dahlquist@3.0') as string);
    await assert.rejects(uploadFmu(two, { content_base64: big.toString('base64') }), isCode('QUOTA_EXCEEDED'));
  });
});

describe('retention sweep', () => {
  it('deletes results and uploads older than RESULT_TTL_HOURS, keeping what is still in use', async () => {
    const { t, accounts } = await setup();
    const one = scopeToCaller(t.ctx, accounts, K1, 'rest');
    const two = scopeToCaller(t.ctx, accounts, K2, 'rest');
    const { fmu_id } = await uploadFmu(one, { content_base64: fmu.toString('base64') });
    await uploadFmu(two, { content_base64: fmu.toString('base64') });
    const sha = fmu_id.slice(7);
    const { output } = await simulate(one, { fmu_id, stop_time: 1, step: 0.1 });
    const runDir = join(t.ctx.results.dir, output.run_id);
    assert.ok(existsSync(runDir));
    const now = Date.now();

    // Within the TTL: nothing goes.
    assert.deepEqual(await sweepRetention(t.ctx, accounts, new Date(now + 0.5 * HOUR)), {
      runs_deleted: 0,
      ownerships_deleted: 0,
      uploads_deleted: 0,
      usage_rolled_up: 0,
      upload_sizes_backfilled: 0,
    });

    // K2 used the upload later; K1 did not: K1's claim and run go, the file stays for K2.
    await accounts.uploads.touch(sha, K2, new Date(now + 2 * HOUR));
    const r1 = await sweepRetention(t.ctx, accounts, new Date(now + 2.5 * HOUR));
    assert.deepEqual(r1, { runs_deleted: 1, ownerships_deleted: 1, uploads_deleted: 0, usage_rolled_up: 0, upload_sizes_backfilled: 0 });
    assert.equal(existsSync(runDir), false);
    assert.equal(await accounts.runs.get(output.run_id), undefined);
    assert.ok(t.ctx.fmuStore.pathOf(sha) !== undefined);
    await assert.rejects(getVariables(one, { fmu_id }), isCode('NOT_FOUND'));
    assert.equal((await getVariables(two, { fmu_id })).model_name, 'Dahlquist');
    // Usage is billing history: kept.
    assert.equal((await accounts.usage.list(K1)).length, 1);

    // Later still: the last claim goes, then the file.
    const r2 = await sweepRetention(t.ctx, accounts, new Date(now + 4 * HOUR));
    assert.deepEqual(r2, { runs_deleted: 0, ownerships_deleted: 1, uploads_deleted: 1, usage_rolled_up: 0, upload_sizes_backfilled: 0 });
    // Past USAGE_RETENTION_DAYS (90 by default) the record rolls up into its day; the totals stay.
    const r3 = await sweepRetention(t.ctx, accounts, new Date(now + 91 * 24 * HOUR));
    assert.equal(r3.usage_rolled_up, 1);
    assert.deepEqual(await accounts.usage.list(K1), []);
    assert.equal((await accounts.usage.days(K1))[0]?.runs, 1);
    assert.equal((await accounts.usage.totals(K1)).total_runs, 1);
    assert.equal(t.ctx.fmuStore.pathOf(sha), undefined);
    assert.equal(await accounts.uploads.get(sha), undefined);
  });

  it('completes upload claims written before the disk counter (once), so the quota counts them', async () => {
    const { t, accounts } = await setup();
    const one = scopeToCaller(t.ctx, accounts, K1, 'rest');
    const { fmu_id } = await uploadFmu(one, { content_base64: fmu.toString('base64') });
    const sha = fmu_id.slice(7);
    // Positive control: a claim written now carries its size and is counted.
    assert.equal(await accounts.kv.counter('disk_bytes', K1), fmu.byteLength);
    // K2's claim as an older gateway wrote it: no size_bytes, so counted 0.
    const at = new Date().toISOString();
    await accounts.kv.set(`upload_owner:${K2}:${sha}`, { sha256: sha, key_hash: K2, uploaded_at: at, last_used_at: at });
    assert.equal(await accounts.kv.counter('disk_bytes', K2), 0);

    const r1 = await sweepRetention(t.ctx, accounts);
    assert.equal(r1.upload_sizes_backfilled, 1);
    assert.equal(await accounts.kv.counter('disk_bytes', K2), fmu.byteLength);
    assert.equal(await accounts.kv.counter('disk_bytes', K1), fmu.byteLength, 'a claim with its size is left alone');
    const claim = await accounts.kv.get<{ size_bytes?: number; last_used_at: string }>(`upload_owner:${K2}:${sha}`);
    assert.equal(claim?.size_bytes, fmu.byteLength);
    assert.equal(claim?.last_used_at, at, 'the claim is otherwise unchanged');
    // Idempotent: the next sweep finds nothing to complete and counts nothing twice.
    const r2 = await sweepRetention(t.ctx, accounts);
    assert.equal(r2.upload_sizes_backfilled, 0);
    assert.equal(await accounts.kv.counter('disk_bytes', K2), fmu.byteLength);
  });

  it('also sweeps results written without any account (local faces), by age', async () => {
    const { t, accounts } = await setup();
    const { output } = await simulate(t.ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1 });
    const runDir = join(t.ctx.results.dir, output.run_id);
    const written = statSync(runDir).mtimeMs;
    assert.equal((await sweepRetention(t.ctx, accounts, new Date(written + 0.9 * HOUR))).runs_deleted, 0);
    assert.equal((await sweepRetention(t.ctx, accounts, new Date(written + 1.1 * HOUR))).runs_deleted, 1);
    assert.equal(existsSync(runDir), false);
  });
});
