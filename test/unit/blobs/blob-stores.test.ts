/**
 * The blob-store interface on both backends: a local directory, and S3 through the real AWS SDK
 * against s3rver on loopback (the stand-in for a cloud store this machine cannot reach). The same
 * contract runs on each: whole files and bytes round-trip exactly, byte ranges, sizes, absent
 * objects answer "none" (not an error), deletes; an unreachable S3 is BLOB_STORE_UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import S3rver from 's3rver';
import { createLocalBlobStore } from '../../../src/blobs/local.ts';
import { blobKeys, openBlobStore, parseS3Url } from '../../../src/blobs/index.ts';
import { createS3BlobStore } from '../../../src/blobs/s3.ts';
import type { BlobStore } from '../../../src/blobs/types.ts';
import { freePort } from '../../helpers/db-servers.ts';

const BUCKET = 'blob-unit-test';
const root = mkdtempSync(join(tmpdir(), 'fmugw-blobs-'));
let s3rver: S3rver;
let endpoint = '';

before(async () => {
  process.env['AWS_ACCESS_KEY_ID'] ??= 'S3RVER';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'S3RVER';
  s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(root, 's3'), configureBuckets: [{ name: BUCKET }] });
  endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
});
after(async () => {
  await s3rver?.close();
  rmSync(root, { recursive: true, force: true });
});

const backends: [string, () => Promise<BlobStore>][] = [
  ['local directory', () => Promise.resolve(createLocalBlobStore(mkdtempSync(join(root, 'dir-'))))],
  ['S3 (s3rver)', () => createS3BlobStore({ bucket: BUCKET, endpoint, region: 'us-east-1', forcePathStyle: true })],
];

for (const [name, open] of backends) {
  describe(`blob store: ${name}`, () => {
    it('round-trips a file exactly, serves byte ranges and sizes, and deletes', async () => {
      const store = await open();
      try {
        const bytes = randomBytes(300_000); // several chunks of a stream
        const src = join(root, `src-${randomBytes(4).toString('hex')}`);
        writeFileSync(src, bytes);
        const key = blobKeys.fmu(randomBytes(32).toString('hex'));
        await store.putFile(key, src);
        assert.equal(await store.size(key), bytes.length);
        const out = join(root, `out-${randomBytes(4).toString('hex')}`, 'copy.bin');
        assert.equal(await store.getToFile(key, out), true);
        assert.ok(readFileSync(out).equals(bytes), 'the bytes are exactly those stored');
        assert.ok((await store.getRange(key, 1000, 1999))?.equals(bytes.subarray(1000, 2000)));
        assert.ok((await store.getRange(key, bytes.length - 10, bytes.length + 100))?.equals(bytes.subarray(bytes.length - 10)));
        await store.putBytes('runs/rmxcq2d9j-505122362a28/meta.json', '{"a":1}');
        assert.equal((await store.getRange('runs/rmxcq2d9j-505122362a28/meta.json', 0, 100))?.toString(), '{"a":1}');
        await store.delete(key);
        assert.equal(await store.size(key), undefined);
        assert.equal((await store.status()).ok, true);
      } finally {
        await store.close();
      }
    });

    it('answers "none" for an absent object, and leaves no file behind', async () => {
      const store = await open();
      try {
        const key = blobKeys.fmu('0'.repeat(64));
        const out = join(root, `absent-${randomBytes(4).toString('hex')}.bin`);
        assert.equal(await store.getToFile(key, out), false);
        assert.throws(() => readFileSync(out), { code: 'ENOENT' });
        assert.equal(await store.size(key), undefined);
        assert.equal(await store.getRange(key, 0, 10), undefined);
        await store.delete(key); // no error
      } finally {
        await store.close();
      }
    });
  });
}

describe('blob store configuration', () => {
  it('parses FMU_GATEWAY_BLOB_URL for S3', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true'), {
      bucket: 'my-bucket',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', region: 'us-east-1', forcePathStyle: false });
  });

  it('refuses malformed URLs with BAD_REQUEST', async () => {
    for (const bad of ['s3://B', 's3://ok-bucket/prefix', 's3://ok-bucket?endpoint=ftp://x', 'gs://bucket', 'nonsense']) {
      await assert.rejects(
        (async () => (bad.startsWith('s3:') ? parseS3Url(bad) : openBlobStore(bad, root)))(),
        { code: 'BAD_REQUEST' },
        bad,
      );
    }
  });

  it('never builds a key from an unvalidated id', () => {
    assert.throws(() => blobKeys.fmu('../../etc/passwd'), { code: 'INTERNAL' });
    assert.throws(() => blobKeys.runFile('../x', 'meta.json'), { code: 'INTERNAL' });
    assert.throws(() => blobKeys.jobResult('j/../../x'), { code: 'INTERNAL' });
  });

  it('an unreachable S3 endpoint is BLOB_STORE_UNAVAILABLE, and status says not ok', async () => {
    const port = await freePort(); // nothing listens there
    const store = await createS3BlobStore({
      bucket: BUCKET,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
    });
    try {
      await assert.rejects(store.size(blobKeys.fmu('1'.repeat(64))), { code: 'BLOB_STORE_UNAVAILABLE' });
      const status = await store.status();
      assert.equal(status.ok, false);
      assert.equal(status.kind, 's3');
    } finally {
      await store.close();
    }
  });
});
