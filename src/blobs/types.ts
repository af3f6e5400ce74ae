/**
 * One blob-store interface for everything several nodes must share: uploaded FMUs (by sha256),
 * stored results (by run id) and the result files of queued jobs. Two backends: a local directory
 * (default; one machine, or a shared mount) and S3-compatible object storage (src/blobs/s3.ts).
 * Keys are built only by src/blobs/keys.ts from validated ids, never from a caller's string.
 */

export interface BlobStoreStatus {
  kind: 'local' | 's3';
  /** Where: a directory, or s3://bucket at an endpoint (never credentials). */
  location: string;
  ok: boolean;
  /** Why not ok (the store's own error text). */
  detail?: string;
}

export interface BlobStore {
  readonly kind: 'local' | 's3';
  readonly location: string;
  /** Stores a complete local file under `key` (replacing any previous object): streamed, never held whole. */
  putFile(key: string, path: string): Promise<void>;
  /** Stores a small object (JSON metadata). */
  putBytes(key: string, bytes: Uint8Array | string): Promise<void>;
  /**
   * Writes the object to `path` (through a temporary name, renamed when complete). false when
   * there is no such object; any other failure throws BLOB_STORE_UNAVAILABLE.
   */
  getToFile(key: string, path: string): Promise<boolean>;
  /** Bytes [start, end] (inclusive) of an object, or undefined when there is none. */
  getRange(key: string, start: number, end: number): Promise<Buffer | undefined>;
  /** Size of an object in bytes, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /** Reachability for /health and doctor: never throws. */
  status(): Promise<BlobStoreStatus>;
  close(): Promise<void>;
}
