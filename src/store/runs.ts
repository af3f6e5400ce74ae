/**
 * Run metadata: who owns a run (its result is visible only to that caller) and what it cost in
 * disk. `run:<id>` answers "whose is this run"; `run_by:<caller>:<id>` lists a caller's runs
 * (disk quota) without scanning everyone's.
 */
import { RunRecordSchema, type RunRecord } from '../schemas/accounts.ts';
import type { KvStore } from './kv.ts';

export interface RunRepository {
  /** Stores the record; resolves once it is durable. */
  put(r: RunRecord): Promise<void>;
  /** The record's rows ([key, value]) for KvStore.setMany (checked as put checks it); written by the caller. */
  entries(r: RunRecord): [string, RunRecord][];
  get(runId: string): Promise<RunRecord | undefined>;
  /** The record when `caller` owns the run; undefined otherwise (foreign runs look absent). */
  getOwned(runId: string, caller: string): Promise<RunRecord | undefined>;
  listByOwner(caller: string): Promise<RunRecord[]>;
  /** Every run created before the cutoff (the retention sweep). */
  listOlderThan(cutoff: Date): Promise<RunRecord[]>;
  delete(r: Pick<RunRecord, 'run_id' | 'key_hash'>): Promise<void>;
}

export function createRunRepository(kv: KvStore): RunRepository {
  const byId = (id: string) => `run:${id}`;
  const byOwner = (caller: string, id: string) => `run_by:${caller}:${id}`;
  const get = async (runId: string) => {
    const v = await kv.get<unknown>(byId(runId));
    return v === undefined ? undefined : RunRecordSchema.parse(v);
  };
  const entries = (r: RunRecord): [string, RunRecord][] => {
    const rec = RunRecordSchema.parse(r);
    return [
      [byId(rec.run_id), rec],
      [byOwner(rec.key_hash, rec.run_id), rec],
    ];
  };
  return {
    async put(r) {
      await Promise.all(entries(r).map(([k, v]) => kv.set(k, v)));
    },
    entries,
    get,
    async getOwned(runId, caller) {
      const r = await get(runId);
      return r !== undefined && r.key_hash === caller ? r : undefined;
    },
    async listByOwner(caller) {
      return (await kv.scan<unknown>(`run_by:${caller}:`)).map(([, v]) => RunRecordSchema.parse(v));
    },
    async listOlderThan(cutoff) {
      const rows = await kv.scan<unknown>('run:');
      return rows.map(([, v]) => RunRecordSchema.parse(v)).filter((r) => Date.parse(r.created_at) < cutoff.getTime());
    },
    async delete(r) {
      await kv.deleteMany([byId(r.run_id), byOwner(r.key_hash, r.run_id)]);
    },
  };
}
