/**
 * Who is calling, and what that caller may see and must be charged with. A face that serves
 * several callers (REST, MCP over HTTP) puts a CallerAccess into the ServiceContext of each
 * request; the use cases then
 * - show uploads and runs only to the caller that made them (others get NOT_FOUND, as for an id
 *   that does not exist: a foreign id is not even confirmed to exist);
 * - keep a worker bound to one caller (the pool's callerId);
 * - record run ownership and a usage record, awaited before the answer is sent;
 * - refuse new uploads and runs past the caller's disk quota.
 * Without one (stdio MCP, CLI, TypeScript API) everything is the local user's.
 */
import type { UsageRecord } from '../schemas/accounts.ts';

export interface UploadedFmuFacts {
  sha256: string;
  size_bytes: number;
  model_name: string;
  fmi_version: string;
}

export interface FinishedRunFacts {
  run_id?: string;
  fmu_id: string;
  /** Resolved sha256 of the FMU that ran (library models included). */
  fmu_sha256?: string;
  started_at: Date;
  duration_ms: number;
  rows: number;
  result_bytes: number;
  status: UsageRecord['status'];
  error_code?: string;
}

export interface CallerAccess {
  /** A key's hash, or "anonymous" for keyless local use. */
  readonly callerId: string;
  readonly surface: 'rest' | 'mcp' | 'cli';
  /** True when the caller may use the uploaded FMU with this sha256. */
  canUseUpload(sha256: string): Promise<boolean>;
  canReadRun(runId: string): Promise<boolean>;
  /** Throws QUOTA_EXCEEDED when `extraBytes` more would pass the caller's disk quota. */
  checkQuota(extraBytes: number): Promise<void>;
  onUploaded(facts: UploadedFmuFacts): Promise<void>;
  /** Records ownership (when a result was stored) and the usage record. Awaited. */
  onRunFinished(facts: FinishedRunFacts): Promise<void>;
}
