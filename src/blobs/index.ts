/**
 * FMU_GATEWAY_BLOB_URL → a blob store: `s3://bucket?endpoint=http://…&region=…&forcePathStyle=true`
 * (S3-compatible object storage), `file:///shared/dir` (a directory), or nothing: a directory in
 * this node's data directory (one machine).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../errors.ts';
import { createLocalBlobStore } from './local.ts';
import type { S3Location } from './s3.ts';
import type { BlobStore } from './types.ts';

export type { BlobStore, BlobStoreStatus } from './types.ts';
export { blobKeys } from './keys.ts';

// S3 bucket naming rules (lower case, digits, dots, hyphens; 3-63 characters).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function badUrl(message: string): GatewayError {
  return new GatewayError('BAD_REQUEST', `FMU_GATEWAY_BLOB_URL: ${message}`, {
    hint: 'Use s3://bucket?endpoint=https://…&region=…&forcePathStyle=true, or file:///absolute/dir.',
  });
}

export function parseS3Url(raw: string): S3Location {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUrl('not a URL');
  }
  if (url.protocol !== 's3:') throw badUrl(`unsupported scheme "${url.protocol}"`);
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw badUrl(`"${bucket}" is not a valid bucket name`);
  if (url.pathname !== '' && url.pathname !== '/') throw badUrl('a key prefix in the path is not supported');
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined) {
    let e: URL;
    try {
      e = new URL(endpoint);
    } catch {
      throw badUrl('endpoint is not a URL');
    }
    if (e.protocol !== 'http:' && e.protocol !== 'https:') throw badUrl('endpoint must be http(s)');
  }
  return {
    bucket,
    ...(endpoint !== undefined ? { endpoint } : {}),
    region: url.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: ['1', 'true', 'yes'].includes((url.searchParams.get('forcePathStyle') ?? '').toLowerCase()),
  };
}

export async function openBlobStore(blobUrl: string | undefined, dataDir: string): Promise<BlobStore> {
  if (blobUrl === undefined || blobUrl === '') return createLocalBlobStore(join(dataDir, 'blobs'));
  if (blobUrl.startsWith('file:')) return createLocalBlobStore(fileURLToPath(blobUrl));
  if (blobUrl.startsWith('s3:')) {
    const { createS3BlobStore } = await import('./s3.ts');
    return createS3BlobStore(parseS3Url(blobUrl));
  }
  throw badUrl('unsupported scheme');
}
