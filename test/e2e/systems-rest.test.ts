/**
 * Connected systems over real HTTP (`serve --port 0`): a key uploads two FMUs, then a JSON
 * system and an SSP archive (POST /systems), simulates them (POST /systems/{id}/simulate) and
 * reads the CSV with "component.variable" columns; an algebraic loop is a coded 422; another key
 * cannot run the first key's components.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildFixture } from '../helpers/fixtures.ts';
import { quarterCarSsp } from '../helpers/ssp-craft.ts';
import { parseCsv, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Json = Record<string, unknown>;

async function call(base: string, method: string, path: string, opts: { key?: string; json?: unknown; form?: FormData } = {}) {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else body = opts.form;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Json };
}

describe('systems over REST', { timeout: 240_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  let key = '';
  let other = '';
  const ids: Record<string, string> = {};
  let body = '';
  let wheel = '';

  before(async () => {
    body = await buildFixture('sys-body', '3.0');
    wheel = await buildFixture('sys-wheel', '3.0');
    gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
    base = gw.url.replace(/\/mcp$/, '');
    key = (await call(base, 'POST', '/keys')).json().key as string;
    other = (await call(base, 'POST', '/keys')).json().key as string;
    for (const [name, path] of [
      ['body', body],
      ['wheel', wheel],
      ['gain', await buildFixture('sys-gain', '3.0')],
    ] as const) {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(path)]), `${name}.fmu`);
      const r = await call(base, 'POST', '/fmus', { key, form });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      ids[name] = r.json().fmu_id as string;
    }
  });
  after(async () => {
    await gw?.close();
  });

  const quarterCar = () => ({
    components: { body: ids.body, wheel: ids.wheel },
    connections: [
      ['body.f_susp', 'wheel.f_susp'],
      ['wheel.z_u', 'body.z_u'],
      ['wheel.v_u', 'body.v_u'],
    ],
  });

  it('uploads a JSON system and simulates it; the CSV has component.variable columns', async () => {
    const up = await call(base, 'POST', '/systems', { key, json: { system: quarterCar() } });
    assert.equal(up.status, 200, up.text);
    const id = up.json().system_id as string;
    const run = await call(base, 'POST', `/systems/${id}/simulate`, {
      key,
      json: { stop_time: 2, step: 0.01, outputs: ['body.z_s', 'wheel.z_u'] },
    });
    assert.equal(run.status, 200, run.text);
    const out = run.json();
    assert.equal(out.status, 'completed');
    assert.equal(out.rows, 201);
    const csv = await call(base, 'GET', out.result_url as string, { key });
    assert.equal(csv.status, 200);
    const { header, rows } = parseCsv(csv.text);
    assert.deepEqual(header, ['time', 'body.z_s', 'wheel.z_u']);
    assert.equal(rows.length, 201);
    // The body rises towards the 5 cm road step.
    assert.ok((rows[200]?.[1] as number) > 0.03, String(rows[200]));
  });

  it('uploads an SSP archive and simulates it with the archive default stop time', async () => {
    const up = await call(base, 'POST', '/systems', {
      key,
      json: { content_base64: quarterCarSsp(body, wheel, { version: '2.0' }).toString('base64') },
    });
    assert.equal(up.status, 200, up.text);
    const run = await call(base, 'POST', `/systems/${up.json().system_id as string}/simulate`, { key, json: { step: 0.05 } });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.json().rows, 61);
  });

  it('refuses an algebraic loop with 422 ALGEBRAIC_LOOP', async () => {
    const r = await call(base, 'POST', '/systems', {
      key,
      json: {
        system: {
          components: { g1: ids.gain, g2: ids.gain },
          connections: [
            ['g1.y', 'g2.u'],
            ['g2.y', 'g1.u'],
          ],
        },
      },
    });
    assert.equal(r.status, 422, r.text);
    assert.equal((r.json().error as Json).code, 'ALGEBRAIC_LOOP');
  });

  it("another key cannot run the first key's uploads in a system", async () => {
    const r = await call(base, 'POST', '/systems', { key: other, json: { system: quarterCar() } });
    assert.equal(r.status, 404, r.text);
    assert.equal((r.json().error as Json).code, 'NOT_FOUND');
  });
});
