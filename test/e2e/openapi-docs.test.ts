/**
 * The OpenAPI document and /docs of a real `serve`: every operation has a unique operationId; 402
 * carries the payment body, 429 / 503 / 507 the Retry-After header; the upload is a multipart body
 * with a binary "file"; no padlock on /health and /keys; no bare "<key>" left for Markdown to eat;
 * each request example (taken from the library) runs when sent. /docs shows in headless Chromium
 * with default flags: its screenshot has the page drawn (not a blank page or a spinner) and its
 * DOM the routes and "Bearer <key>".
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodePng } from '../helpers/png-decode.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const exec = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
type Json = Record<string, unknown>;
type Op = Json & {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, Json>;
  requestBody?: { content: Record<string, Json> };
};

describe('OpenAPI document and /docs', { timeout: 240_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  let doc: { paths: Record<string, Record<string, Op>>; info: Json };
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-docs-'));

  before(async () => {
    gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
    base = gw.url.replace(/\/mcp$/, '');
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as typeof doc;
  });
  after(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ops = (): [string, string, Op][] =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]): [string, string, Op] => [method, path, op]),
    );

  it('gives every operation a unique operationId', () => {
    const ids = ops().map(([, , op]) => op.operationId);
    assert.ok(ids.length > 25, String(ids.length));
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('documents 402 with the payment body and 429 / 503 / 507 with Retry-After', () => {
    for (const path of ['/simulate', '/v2/simulate', '/sweep']) {
      const r402 = doc.paths[path]?.post?.responses['402'];
      const schema = JSON.stringify((r402?.content as Record<string, Json> | undefined)?.['application/json']?.schema);
      assert.match(schema, /checkout_url/, path);
      assert.match(schema, /amount/, path);
    }
    let limited = 0;
    for (const [method, path, op] of ops()) {
      for (const status of ['429', '503', '507']) {
        const r = op.responses[status];
        if (r === undefined) continue;
        limited++;
        assert.ok((r.headers as Json | undefined)?.['Retry-After'] !== undefined, `${method} ${path} ${status}`);
      }
    }
    assert.ok(limited > 20);
  });

  it('documents the upload as a multipart body with a binary "file"', () => {
    for (const path of ['/fmus', '/v2/fmus']) {
      const body = doc.paths[path]?.post?.requestBody?.content['multipart/form-data'];
      assert.ok(body !== undefined, `${path}: ${JSON.stringify(doc.paths[path]?.post?.requestBody)}`);
      assert.equal(((body.schema as Json).properties as Record<string, Json>).file?.format, 'binary');
    }
  });

  it('asks for the key only where it is needed', () => {
    assert.deepEqual(doc.paths['/health']?.get?.security, []);
    assert.deepEqual(doc.paths['/keys']?.post?.security, []);
    assert.deepEqual(doc.paths['/v2/keys']?.post?.security, []);
    assert.deepEqual(doc.paths['/webhooks/stripe']?.post?.security, []);
    assert.equal(doc.paths['/v2/simulate']?.post?.security, undefined, 'inherits the document-wide bearer');
    assert.ok(doc.paths['/v2/simulate']?.post?.responses['401'] !== undefined);
    assert.equal(doc.paths['/health']?.get?.responses['401'], undefined);
  });

  it('leaves no bare <...> in descriptions for Markdown to take as HTML', () => {
    const bare: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if ((k === 'description' || k === 'summary') && typeof v === 'string') {
            const outside = v.split(/`[^`]*`/).join(' ');
            if (/<[^<>\s]+>/.test(outside)) bare.push(v);
          } else walk(v);
        }
      }
    };
    walk(doc);
    assert.deepEqual(bare, []);
    assert.match(String(doc.info.description), /`Authorization: Bearer <key>`|Bearer `<key>`/);
  });

  it('sends every request example (from the library) and each one runs', async () => {
    const key = ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
    let sent = 0;
    for (const [method, path, op] of ops()) {
      const example = op.requestBody?.content['application/json']?.example;
      if (example === undefined || path.includes('pay')) continue; // /pay needs payments on
      const res = await fetch(`${base}${path}`, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(example),
      });
      const text = await res.text();
      assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${text}`);
      sent++;
    }
    assert.ok(sent >= 5, String(sent));
  });

  const chromium = prerequisite('chromium', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed`);
  it('renders /docs in headless Chromium with default flags', { skip: chromium }, async () => {
    const shot = join(dir, 'docs.png');
    // Only what running as root needs (no sandbox there); no virtual-time budget or other waits.
    const root = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    await exec(CHROMIUM, ['--headless', ...root, `--screenshot=${shot}`, `${base}/docs`], { timeout: 120_000 });
    const png = decodePng(readFileSync(shot));
    let ink = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      const o = i * png.channels;
      if ((png.pixels[o] as number) < 200 || (png.pixels[o + 1] as number) < 200 || (png.pixels[o + 2] as number) < 200) ink++;
    }
    const share = ink / (png.width * png.height);
    assert.ok(share > 0.02, `only ${(share * 100).toFixed(2)} % of the screenshot is drawn`);
    const { stdout: dom } = await exec(CHROMIUM, ['--headless', ...root, '--dump-dom', `${base}/docs`], {
      timeout: 120_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    assert.match(dom, /<code>\/v2\/simulate<\/code>/);
    assert.match(dom, /<code>\/simulate<\/code>/);
    assert.match(dom, /Bearer &lt;key&gt;/);
  });
});
