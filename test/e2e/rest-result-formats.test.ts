/**
 * The result downloads of the REST API on a real `serve`: GET /runs/{id}/result.arrow, .mat,
 * .parquet, and GET /runs/{id}/result negotiated by Accept (406 when nothing matches). Only the
 * key that ran a run gets its bytes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

let gw: HttpGateway;
let base: string;
let keyA: string;
let keyB: string;
let runId: string;
const tmp = mkdtempSync(join(tmpdir(), 'fmu-gw-rest-formats-'));

async function get(
  path: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

before(async () => {
  gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
  base = gw.url.replace(/\/mcp$/, '');
  const key = async () => ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
  keyA = await key();
  keyB = await key();
  const res = await fetch(`${base}/simulate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01 }),
  });
  assert.equal(res.status, 200);
  runId = ((await res.json()) as { run_id: string }).run_id;
});
after(async () => {
  await gw?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('REST result downloads', { timeout: 120_000 }, () => {
  it('serves MAT, Parquet and Arrow with their media types and file names', async () => {
    const mat = await get(`/runs/${runId}/result.mat`, keyA);
    assert.equal(mat.status, 200);
    assert.equal(mat.headers.get('content-type'), 'application/x-matlab-data');
    assert.match(mat.headers.get('content-disposition') ?? '', new RegExp(`${runId}\\.mat`));
    assert.equal(mat.body.toString('latin1', 20, 26), 'Aclass');
    const pq = await get(`/runs/${runId}/result.parquet`, keyA);
    assert.equal(pq.status, 200);
    assert.equal(pq.headers.get('content-type'), 'application/vnd.apache.parquet');
    assert.equal(pq.body.toString('latin1', 0, 4), 'PAR1');
    // DuckDB reads as many rows as the CSV has.
    const csv = await get(`/runs/${runId}/result.csv`, keyA);
    const csvRows = csv.body.toString('utf8').trimEnd().split('\n').length - 1;
    const path = join(tmp, 'r.parquet');
    writeFileSync(path, pq.body);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const n = (await con.runAndReadAll(`SELECT count(*)::INTEGER n FROM read_parquet('${path}')`)).getRowObjects()[0]?.n;
    assert.equal(n, csvRows);
    const arrow = await get(`/runs/${runId}/result.arrow`, keyA);
    assert.equal(arrow.status, 200);
    assert.equal(arrow.body.toString('latin1', 0, 6), 'ARROW1');
  });

  it('negotiates GET /runs/{id}/result by Accept, and answers 406 when nothing matches', async () => {
    const mat = await get(`/runs/${runId}/result.mat`, keyA);
    const byAccept = await get(`/runs/${runId}/result`, keyA, { accept: 'application/x-matlab-data, text/csv;q=0.5' });
    assert.equal(byAccept.status, 200);
    assert.equal(byAccept.headers.get('content-type'), 'application/x-matlab-data');
    assert.match(byAccept.headers.get('vary') ?? '', /accept/i);
    assert.ok(byAccept.body.equals(mat.body), 'the same bytes as result.mat');
    const csv = await get(`/runs/${runId}/result`, keyA);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.body.toString('utf8'), /^time,h,v,bounces,resting\n0,1,0,0,0\n0\.01,/);
    const refused = await get(`/runs/${runId}/result`, keyA, { accept: 'image/png' });
    assert.equal(refused.status, 406);
    assert.equal((JSON.parse(refused.body.toString('utf8')) as { error: { code: string } }).error.code, 'NOT_ACCEPTABLE');
  });

  it("gives another key 404 and none of the run's bytes", async () => {
    for (const path of ['result.mat', 'result.parquet', 'result.arrow', 'result']) {
      const r = await get(`/runs/${runId}/${path}`, keyB);
      assert.equal(r.status, 404, path);
      assert.ok(!r.body.includes('Aclass') && !r.body.includes('PAR1') && !r.body.includes('ARROW1'), path);
    }
  });
});
