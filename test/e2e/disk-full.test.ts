/**
 * Issue 18, deliverable 5, on a real `serve` whose data directory (results, uploads, the SQLite
 * store) is a small tmpfs that the test fills up: every answer is a coded 507 DISK_FULL with
 * Retry-After (never an uncoded 500), a result.csv first asked for while the disk is full is never
 * served truncated (not then, not after), /health says degraded, and everything recovers by
 * itself once space is freed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prerequisite } from '../helpers/prereq.ts';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const isRoot = process.getuid?.() === 0;
const skip = prerequisite('root (mount a tmpfs)', isRoot ? undefined : 'the test mounts a tmpfs and must run as root');

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}
async function call(base: string, method: string, path: string, key?: string, json?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(30_000),
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}
const codeOf = (a: Answer) => (JSON.parse(a.text) as { error?: { code?: string } }).error?.code;

/** Fills the filesystem of `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler.bin');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 14, 1 << 10, 64, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('disk full: a tmpfs data directory filled up', { skip, timeout: 180_000 }, () => {
  let mount: string;
  let gw: HttpGateway | undefined;
  let base: string;
  before(async () => {
    mount = mkdtempSync(join(tmpdir(), 'fmugw-full-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount], { encoding: 'utf8' });
    assert.equal(r.status, 0, `mount: ${r.stderr}`);
    mkdirSync(join(mount, 'data'));
    gw = await startHttpGateway([], { MAX_OUTPUT_ROWS: '200000' }, { dataDir: join(mount, 'data') });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    if (process.env['DEBUG_DISK_FULL'] === '1') process.stderr.write(gw?.stderr() ?? '');
    await gw?.close();
    spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('answers 507 DISK_FULL, never serves a truncated result.csv, and recovers once space is freed', async () => {
    const key = (JSON.parse((await call(base, 'POST', '/keys', undefined, {})).text) as { key: string }).key;
    const sim = { fmu_id: 'msl:BouncingBall', stop_time: 30, step: 0.001 };
    const done = await call(base, 'POST', '/simulate', key, sim);
    assert.equal(done.status, 200, done.text);
    const runId = (JSON.parse(done.text) as { run_id: string }).run_id;
    // Its CSV is 30 001 rows plus a header once rendered; nobody asked for it yet.
    assert.equal((await call(base, 'GET', '/health')).status, 200);

    const filler = fill(mount);
    try {
      const csv = await call(base, 'GET', `/runs/${runId}/result.csv`, key);
      assert.equal(csv.status, 507, `result.csv while full: ${csv.status} (${csv.text.length} bytes)`);
      assert.equal(codeOf(csv), 'DISK_FULL');
      assert.ok(Number(csv.retryAfter) > 0, 'Retry-After');

      const run = await call(base, 'POST', '/simulate', key, sim);
      assert.equal(run.status, 507, run.text.slice(0, 300));
      assert.equal(codeOf(run), 'DISK_FULL');
      assert.ok(Number(run.retryAfter) > 0);

      // /health serves its last check and refreshes it in the background (at most once a second).
      let health = await call(base, 'GET', '/health');
      for (let i = 0; i < 20 && health.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 250));
        health = await call(base, 'GET', '/health');
      }
      assert.equal(health.status, 503);
      assert.equal((JSON.parse(health.text) as { checks: { disk: { ok: boolean } } }).checks.disk.ok, false);
    } finally {
      rmSync(filler, { force: true });
    }

    // Recovered by itself: the same CSV, whole.
    const csv = await call(base, 'GET', `/runs/${runId}/result.csv`, key);
    assert.equal(csv.status, 200);
    const lines = csv.text.trimEnd().split('\n');
    assert.equal(lines.length, 30_002, 'header + every row');
    assert.match(lines[0] ?? '', /^time,/);
    assert.equal(Number((lines.at(-1) ?? '').split(',')[0]), 30);
    // Asked again (now from the kept rendering), byte-identical.
    assert.equal((await call(base, 'GET', `/runs/${runId}/result.csv`, key)).text, csv.text);
    assert.equal((await call(base, 'POST', '/simulate', key, sim)).status, 200);
    let health = await call(base, 'GET', '/health');
    for (let i = 0; i < 20 && health.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      health = await call(base, 'GET', '/health');
    }
    assert.equal(health.status, 200);
  });
});
