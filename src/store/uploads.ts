/**
 * Uploaded-FMU metadata and ownership. The bytes are stored once per sha256 (fmu-file-store.ts);
 * each caller that uploaded them holds an ownership record, and sees the FMU only while it does.
 * The retention sweep drops ownerships unused for the TTL, and the file when none is left.
 */
import { UploadOwnershipSchema, UploadRecordSchema, type UploadOwnership, type UploadRecord } from '../schemas/accounts.ts';
import type { KvStore } from './kv.ts';

export interface UploadRepository {
  /** Records the bytes' metadata (kept from the first upload) and the caller's ownership. */
  recordUpload(meta: UploadRecord, caller: string, now?: Date): Promise<void>;
  get(sha256: string): Promise<UploadRecord | undefined>;
  /** The metadata when `caller` owns the upload; undefined otherwise (foreign uploads look absent). */
  getOwned(sha256: string, caller: string): Promise<UploadRecord | undefined>;
  /** Marks the upload as used now (a simulate keeps it from expiring). */
  touch(sha256: string, caller: string, now?: Date): Promise<void>;
  listOwned(caller: string): Promise<(UploadOwnership & { size_bytes: number })[]>;
  /** Every ownership (the retention sweep). */
  listOwnerships(): Promise<UploadOwnership[]>;
  deleteOwnership(sha256: string, caller: string): Promise<void>;
  deleteUpload(sha256: string): Promise<void>;
  /**
   * An ownership written before claims carried their size (counted 0 in the caller's disk
   * counter): copies the upload's size_bytes onto it, so the counter (kv.ts COUNTER_RULES, kept
   * by the backend on the write) includes it. Idempotent: true only when this call added the size.
   */
  backfillSize(sha256: string, caller: string): Promise<boolean>;
}

export function createUploadRepository(kv: KvStore): UploadRepository {
  const metaKey = (sha: string) => `upload:${sha}`;
  const ownerKey = (caller: string, sha: string) => `upload_owner:${caller}:${sha}`;
  const get = async (sha: string) => {
    const v = await kv.get<unknown>(metaKey(sha));
    return v === undefined ? undefined : UploadRecordSchema.parse(v);
  };
  const getOwnership = async (sha: string, caller: string) => {
    const v = await kv.get<unknown>(ownerKey(caller, sha));
    return v === undefined ? undefined : UploadOwnershipSchema.parse(v);
  };
  return {
    async recordUpload(meta, caller, now = new Date()) {
      const rec = UploadRecordSchema.parse(meta);
      // The first upload's metadata stays (add); a repeat upload only renews the ownership.
      await kv.add(metaKey(rec.sha256), rec);
      const at = now.toISOString();
      const prev = await getOwnership(rec.sha256, caller);
      await kv.set(ownerKey(caller, rec.sha256), {
        sha256: rec.sha256,
        key_hash: caller,
        uploaded_at: prev?.uploaded_at ?? at,
        last_used_at: at,
        // On the claim itself so the backend's disk counter follows it (kv.ts COUNTER_RULES).
        size_bytes: rec.size_bytes,
      } satisfies UploadOwnership);
    },
    get,
    async getOwned(sha, caller) {
      return (await getOwnership(sha, caller)) === undefined ? undefined : get(sha);
    },
    async touch(sha, caller, now = new Date()) {
      const prev = await getOwnership(sha, caller);
      if (prev !== undefined) await kv.set(ownerKey(caller, sha), { ...prev, last_used_at: now.toISOString() });
    },
    async listOwned(caller) {
      const owned = (await kv.scan<unknown>(`upload_owner:${caller}:`)).map(([, v]) => UploadOwnershipSchema.parse(v));
      const out: (UploadOwnership & { size_bytes: number })[] = [];
      for (const o of owned) out.push({ ...o, size_bytes: o.size_bytes ?? (await get(o.sha256))?.size_bytes ?? 0 });
      return out;
    },
    async listOwnerships() {
      return (await kv.scan<unknown>('upload_owner:')).map(([, v]) => UploadOwnershipSchema.parse(v));
    },
    async deleteOwnership(sha, caller) {
      await kv.delete(ownerKey(caller, sha));
    },
    async deleteUpload(sha) {
      await kv.delete(metaKey(sha));
    },
    async backfillSize(sha, caller) {
      const meta = await get(sha);
      // Read right before the write: only a claim still without its size is completed, and its
      // other fields are the current ones (a touch meanwhile keeps its last_used_at).
      const current = await getOwnership(sha, caller);
      if (meta === undefined || current === undefined || current.size_bytes !== undefined) return false;
      await kv.set(ownerKey(caller, sha), { ...current, size_bytes: meta.size_bytes } satisfies UploadOwnership);
      return true;
    },
  };
}
