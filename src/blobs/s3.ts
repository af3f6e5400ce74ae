/**
 * Blob store on S3-compatible object storage through the AWS SDK v3 (the only importer of
 * @aws-sdk/client-s3, loaded on first use so the CLI starts without it). One client, one command
 * object per operation; bodies stream in and out. Credentials come from the SDK's standard chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a profile / instance role).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { GatewayError } from '../errors.ts';
import type { BlobStore } from './types.ts';

export interface S3Location {
  bucket: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

type S3Module = typeof S3Sdk;

async function loadSdk(): Promise<S3Module> {
  try {
    const mod = (await import('@aws-sdk/client-s3')) as S3Module & { default?: S3Module };
    // A CommonJS package imported from a bundle may expose its exports only as `default`.
    return typeof mod.S3Client === 'function' ? mod : (mod.default as S3Module);
  } catch {
    throw new GatewayError(
      'OPTIONAL_DEPENDENCY_MISSING',
      'S3 blob storage needs the package @aws-sdk/client-s3: npm install @aws-sdk/client-s3',
      {
        package: '@aws-sdk/client-s3',
        feature: 'FMU_GATEWAY_BLOB_URL=s3://…',
      },
    );
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

function unavailable(e: unknown, what: string): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError('BLOB_STORE_UNAVAILABLE', `blob store (S3): cannot ${what}: ${(e as Error).message}`, { retry_after: 5 });
}

export async function createS3BlobStore(loc: S3Location): Promise<BlobStore> {
  const sdk = await loadSdk();
  const client: S3Client = new sdk.S3Client({
    region: loc.region,
    forcePathStyle: loc.forcePathStyle,
    // Checksums only where S3 requires them: by default the SDK sends streamed bodies with
    // aws-chunked trailing checksums, which many S3-compatible stores do not decode (they would
    // store the chunk framing as the object's bytes).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(loc.endpoint !== undefined ? { endpoint: loc.endpoint } : {}),
  });
  const Bucket = loc.bucket;
  const location = `s3://${loc.bucket}${loc.endpoint !== undefined ? ` at ${loc.endpoint}` : ''}`;
  const bodyToFile = async (body: unknown, to: string): Promise<void> => {
    await mkdir(dirname(to), { recursive: true });
    const tmp = `${to}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await pipeline(body as Readable, createWriteStream(tmp, { flush: true }));
      await rename(tmp, to);
    } finally {
      await rm(tmp, { force: true });
    }
  };
  return {
    kind: 's3',
    location,
    async putFile(key, path) {
      try {
        const { size } = await stat(path);
        await client.send(new sdk.PutObjectCommand({ Bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
      } catch (e) {
        throw unavailable(e, `store ${key}`);
      }
    },
    async putBytes(key, bytes) {
      try {
        await client.send(new sdk.PutObjectCommand({ Bucket, Key: key, Body: bytes }));
      } catch (e) {
        throw unavailable(e, `store ${key}`);
      }
    },
    async getToFile(key, path) {
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key: key }));
        await bodyToFile(out.Body, path);
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw unavailable(e, `read ${key}`);
      }
    },
    async getRange(key, start, end) {
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key: key, Range: `bytes=${start}-${end}` }));
        return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array(0));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        // A range past the end of an object is not an outage: nothing there.
        if ((e as { name?: string }).name === 'InvalidRange') return Buffer.alloc(0);
        throw unavailable(e, `read ${key}`);
      }
    },
    async size(key) {
      try {
        return (await client.send(new sdk.HeadObjectCommand({ Bucket, Key: key }))).ContentLength ?? 0;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw unavailable(e, `stat ${key}`);
      }
    },
    async delete(key) {
      try {
        await client.send(new sdk.DeleteObjectCommand({ Bucket, Key: key }));
      } catch (e) {
        if (!isNotFound(e)) throw unavailable(e, `delete ${key}`);
      }
    },
    async status() {
      try {
        await client.send(new sdk.HeadBucketCommand({ Bucket }));
        return { kind: 's3', location, ok: true };
      } catch (e) {
        const name = (e as { name?: string }).name ?? 'Error';
        return { kind: 's3', location, ok: false, detail: `${name}: ${(e as Error).message}` };
      }
    },
    async close() {
      client.destroy();
    },
  };
}
