/**
 * API node side of the queue: a SimulationRunner whose `run` is a BullMQ job. The job's progress
 * reaches the caller through BullMQ's progress events; an aborted signal (MCP cancel, a client
 * that went away) removes a waiting job or tells the worker node running it to kill its worker
 * process. The job's rows come back through the blob store into this node's run store.
 *
 * A job is followed by events and, because events are lost while Redis is away, by a slow poll of
 * the job's state: a job that vanished (Redis restarted without persistence) and a queue that stays
 * unreachable both end in QUEUE_UNAVAILABLE, never in a silent wait.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { BlobStore } from '../blobs/index.ts';
import { blobKeys } from '../blobs/index.ts';
import type { SimulationResult } from '../engine/types.ts';
import { GatewayError } from '../errors.ts';
import { loadResultFile } from '../runner/result-load.ts';
import type { IsolationReport, RunOptions, SimulationJob } from '../runner/types.ts';
import type { Logger, SimulationRunner } from '../service/context.ts';
import { connectRedis, loadBullMq, queueUnavailable, type RedisClient } from './connection.ts';
import { CANCEL_CHANNEL, decodeFailure, QUEUE_NAME, SimulateJobResultSchema, type SimulateJobData } from './jobs.ts';

export interface QueueRunnerOptions {
  url: string;
  blobs: BlobStore;
  /** Where job results are downloaded to: inside the run store's folder, so saving adopts them by rename. */
  incomingDir: string;
  nodeName: string;
  logger: Logger;
  /** Attempts for node trouble (a stalled job is retried besides, by BullMQ's stall detection). */
  attempts?: number;
  /** How often pending jobs are polled (default 1000 ms). */
  pollMs?: number;
  /** How long Redis may stay unreachable before pending jobs fail with QUEUE_UNAVAILABLE (default 30 s). */
  outageMs?: number;
}

export interface QueueStatus {
  ok: boolean;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  workers: number;
  detail?: string;
}

export interface QueueRunner extends SimulationRunner {
  status(): Promise<QueueStatus>;
  close(): Promise<void>;
}

interface Pending {
  job: SimulationJob;
  opts: RunOptions;
  resolve: (r: SimulationResult) => void;
  reject: (e: unknown) => void;
  settling: boolean;
  /** Set once queue.add resolved: before, "no such job" means "not yet", not "lost". */
  added: boolean;
}

const NO_WORKER_YET: IsolationReport = {
  level: 'process-only',
  features: ['job queue: runs on worker nodes'],
  missing: ['no worker node has answered yet'],
};

function newJobId(): string {
  return `j${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

export async function createQueueRunner(o: QueueRunnerOptions): Promise<QueueRunner> {
  const { Queue, QueueEvents } = await loadBullMq();
  const conn = await connectRedis(o.url, 'producer', `fmu-gateway-api-${o.nodeName}`);
  const blocking = await connectRedis(o.url, 'blocking', `fmu-gateway-api-events-${o.nodeName}`);
  const queue: Queue = new Queue(QUEUE_NAME, { connection: conn });
  const events: QueueEvents = new QueueEvents(QUEUE_NAME, { connection: blocking });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  const pending = new Map<string, Pending>();
  let isolation: IsolationReport = NO_WORKER_YET;
  let lastContact = Date.now();
  mkdirSync(o.incomingDir, { recursive: true });

  const finish = (id: string, p: Pending, outcome: { value?: SimulationResult; error?: unknown }): void => {
    if (pending.get(id) !== p) return;
    pending.delete(id);
    if (outcome.error !== undefined) p.reject(outcome.error);
    else p.resolve(outcome.value as SimulationResult);
  };

  /** The job's rows, from the blob store into this node (a file, or loaded when the caller wants them in memory). */
  const collect = async (id: string, p: Pending, returnvalue: unknown): Promise<SimulationResult> => {
    const parsed = SimulateJobResultSchema.safeParse(returnvalue);
    if (!parsed.success) {
      o.logger.error('malformed job result', {
        job_id: id,
        issues: parsed.error.issues.slice(0, 5),
        value: JSON.stringify(returnvalue).slice(0, 500),
      });
      throw new GatewayError('INTERNAL', 'A worker node answered a job with a malformed result');
    }
    const { result: wire, node, isolation: label } = parsed.data;
    const path = join(o.incomingDir, `${id}.cols`);
    const key = blobKeys.jobResult(id);
    if (!(await o.blobs.getToFile(key, path))) {
      throw new GatewayError('BLOB_STORE_UNAVAILABLE', 'The result of a finished job is missing from the blob store', { retry_after: 5 });
    }
    try {
      const rowsInFile = p.opts.rowsInFile === true;
      // The file is checked against the counts the worker node reported (RESULT_CORRUPT otherwise).
      const rows = await loadResultFile(path, wire.resultFileBytes, wire.rows, { values: !rowsInFile });
      const { resultFileBytes: _bytes, ...rest } = wire;
      const out: SimulationResult = { ...rest, ...rows, executedOn: { node, isolation: label } };
      if (rowsInFile) out.resultFile = path;
      else rmSync(path, { force: true });
      void o.blobs.delete(key).catch(() => undefined);
      return out;
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
  };

  /** Looks at a job's state and settles the caller when it is final (events and the poll both come here). */
  const check = async (id: string): Promise<void> => {
    const p = pending.get(id);
    if (p === undefined || p.settling || !p.added) return;
    // The state first, then the job: a job read before its state says "completed" may predate its result.
    const state = await queue.getJobState(id);
    lastContact = Date.now();
    if (state === 'unknown') {
      finish(id, p, {
        error: new GatewayError(
          'QUEUE_UNAVAILABLE',
          'The job queue lost this job (its Redis restarted without persistence); nothing was stored',
          {
            retry_after: 5,
            hint: 'Run it again. Operators: give the queue Redis appendonly persistence.',
          },
        ),
      });
      return;
    }
    if (state !== 'completed' && state !== 'failed') return;
    const job: Job | undefined = await queue.getJob(id);
    if (job === undefined) return; // removed meanwhile: the next poll says "lost"
    if (state === 'completed') {
      p.settling = true;
      try {
        finish(id, p, { value: await collect(id, p, job.returnvalue) });
      } catch (e) {
        finish(id, p, { error: e });
      }
    } else {
      finish(id, p, { error: decodeFailure(job.failedReason) });
    }
  };
  const checkQuietly = (id: string): void => {
    void check(id).catch(() => undefined); // Redis away: the poll tries again
  };
  events.on('completed', ({ jobId }) => checkQuietly(jobId));
  events.on('failed', ({ jobId }) => checkQuietly(jobId));
  events.on('progress', ({ jobId, data }) => {
    const p = pending.get(jobId);
    const d = data as { fraction?: unknown; time?: unknown };
    if (p?.opts.onProgress !== undefined && typeof d.fraction === 'number' && typeof d.time === 'number' && Number.isFinite(d.time)) {
      p.opts.onProgress(Math.min(1, Math.max(0, d.fraction)), d.time);
    }
  });

  const outageMs = o.outageMs ?? 30_000;
  const poll = setInterval(() => {
    if (pending.size === 0) {
      lastContact = Date.now();
      return;
    }
    for (const id of pending.keys()) {
      void check(id).catch(() => {
        if (Date.now() - lastContact < outageMs) return;
        const p = pending.get(id);
        if (p !== undefined) finish(id, p, { error: queueUnavailable(new Error(`no answer from Redis for ${outageMs / 1000} s`)) });
      });
    }
  }, o.pollMs ?? 1000);
  poll.unref();

  const cancel = async (id: string): Promise<void> => {
    // Waiting: removed, nobody will run it. Running: the node holding it kills its worker process.
    await conn.publish(CANCEL_CHANNEL, id).catch(() => undefined);
    await queue.remove(id).catch(() => undefined);
  };

  const attempts = o.attempts ?? 3;
  return {
    get isolation(): IsolationReport {
      return isolation;
    },
    async run(job, opts = {}) {
      if (opts.signal?.aborted === true) throw new GatewayError('CANCELLED', 'The run was cancelled before it started.');
      const id = newJobId();
      const data: SimulateJobData = {
        v: 1,
        kind: 'simulate',
        fmu_sha256: job.fmu.sha256,
        options: job.options as SimulateJobData['options'],
        ...(job.digest !== undefined ? { digest: job.digest as unknown as SimulateJobData['digest'] } : {}),
        ...(opts.callerId !== undefined ? { caller: opts.callerId } : {}),
      };
      const done = new Promise<SimulationResult>((resolve, reject) => {
        pending.set(id, { job, opts, resolve, reject, settling: false, added: false });
      });
      const onAbort = (): void => {
        const p = pending.get(id);
        if (p === undefined) return;
        void cancel(id);
        finish(id, p, { error: new GatewayError('CANCELLED', 'The run was cancelled.') });
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        try {
          await queue.add('simulate', data, {
            jobId: id,
            attempts,
            backoff: { type: 'fixed', delay: 500 },
            // Kept a while after the end, so a slow poll still finds the outcome.
            removeOnComplete: { age: 3600, count: 10_000 },
            removeOnFail: { age: 3600, count: 10_000 },
          });
        } catch (e) {
          pending.delete(id);
          throw queueUnavailable(e);
        }
        const p = pending.get(id);
        if (p !== undefined) p.added = true;
        checkQuietly(id); // it may have finished before this node listened
        const result = await done;
        if (result.executedOn !== undefined)
          isolation = {
            level: result.executedOn.isolation.startsWith('sandboxed') ? 'sandboxed' : 'process-only',
            features: [result.executedOn.isolation],
            missing: [],
          };
        return result;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    },
    async status() {
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        const workers = await queue.getWorkersCount();
        return {
          ok: true,
          waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
          active: counts['active'] ?? 0,
          delayed: counts['delayed'] ?? 0,
          failed: counts['failed'] ?? 0,
          workers,
        };
      } catch (e) {
        return { ok: false, waiting: 0, active: 0, delayed: 0, failed: 0, workers: 0, detail: (e as Error).message };
      }
    },
    async close() {
      clearInterval(poll);
      for (const [id, p] of pending) finish(id, p, { error: new GatewayError('CANCELLED', 'The server is shutting down.') });
      await events.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      conn.disconnect();
      blocking.disconnect();
    },
  };
}

export type { RedisClient };
