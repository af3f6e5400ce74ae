/**
 * Worker node side of the queue (`fmu-gateway worker`): a BullMQ Worker whose processor runs each
 * job in this node's sandboxed worker pool, exactly as `serve` does on one machine (same limits,
 * same codes). FMUs come from this node's cache (by sha256), else the built-in library, else the
 * shared blob store; compiled binaries are cached by sha256 like on one machine. The rows go to the
 * blob store under the job's id, for the API node that waits for the job.
 *
 * Failures are mapped once (jobs.ts): an FMU's own failure is an UnrecoverableError, node trouble a
 * plain error that BullMQ retries. A node that dies mid-job leaves a stalled job that another
 * node's stall check moves back to the queue.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Worker } from 'bullmq';
import type { BlobStore } from '../blobs/index.ts';
import { blobKeys } from '../blobs/index.ts';
import type { SimulationResult } from '../engine/types.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import type { WireSimulationResult } from '../runner/protocol.ts';
import type { SimulationJob, WorkerPool } from '../runner/types.ts';
import type { Logger } from '../service/context.ts';
import { isolationLabel } from '../service/simulate-result.ts';
import type { FmuFileStore, StoredCompileOptions } from '../store/fmu-file-store.ts';
import { writeResultFile } from '../store/result-file-writer.ts';
import { connectRedis, loadBullMq } from './connection.ts';
import {
  CANCEL_CHANNEL,
  encodeFailure,
  isRetryable,
  QUEUE_NAME,
  SimulateJobDataSchema,
  type SimulateJobData,
  type SimulateJobResult,
} from './jobs.ts';

export interface WorkerNodeOptions {
  url: string;
  nodeName: string;
  pool: WorkerPool;
  blobs: BlobStore;
  /** This node's FMU cache (its own data directory), backed by the blob store. */
  fmuStore: FmuFileStore;
  /** sha256 → path of the built-in library's FMUs on this node (they never travel). */
  library: ReadonlyMap<string, string>;
  openFmu: (path: string, sha256: string) => Promise<OpenedFmu>;
  /** Sources-only FMUs: the binary to use (compiled once per sha256 into this node's cache); undefined = the FMU's own. */
  ensureBinary?: (fmu: OpenedFmu, iface: 'ME' | 'CS', build?: StoredCompileOptions) => Promise<string | undefined>;
  /** Where result files of jobs without a digest are written before upload (this node's own directory). */
  outboxDir: string;
  /** Jobs at once (default: the pool's size). */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead node's job is retried after about this long. */
  lockMs: number;
  logger: Logger;
}

export interface WorkerNode {
  readonly worker: Worker;
  close(): Promise<void>;
}

/** Progress events at most this often per job (each is a Redis write and a message to every API node). */
const PROGRESS_INTERVAL_MS = 250;

function fail(e: unknown, aborted: boolean, Unrecoverable: new (m: string) => Error): Error {
  const g = aborted ? new GatewayError('CANCELLED', 'The run was cancelled.') : toGatewayError(e);
  return isRetryable(g.code) ? new Error(encodeFailure(g)) : new Unrecoverable(encodeFailure(g));
}

export async function startWorkerNode(o: WorkerNodeOptions): Promise<WorkerNode> {
  const { Worker, UnrecoverableError } = await loadBullMq();
  mkdirSync(o.outboxDir, { recursive: true });

  const fmuPath = async (sha: string): Promise<string> => {
    const path = o.library.get(sha) ?? o.fmuStore.pathOf(sha) ?? (await o.fmuStore.fetch?.(sha));
    if (path === undefined) {
      throw new GatewayError('NOT_FOUND', `No FMU with sha256 ${sha} is in this node's cache, the library or the blob store`, {
        sha256: sha,
      });
    }
    return path;
  };

  const processJob = async (job: Job, _token?: string, signal?: AbortSignal): Promise<SimulateJobResult> => {
    const parsed = SimulateJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(encodeFailure(new GatewayError('BAD_REQUEST', 'malformed job data')));
    const data: SimulateJobData = parsed.data;
    const jobId = job.id ?? '';
    o.logger.info('job started', { job_id: jobId, attempt: job.attemptsMade + 1 });
    try {
      const opened = await o.openFmu(await fmuPath(data.fmu_sha256), data.fmu_sha256);
      const options = data.options as unknown as SimulationJob['options'];
      const iface = options.interface ?? (opened.modelDescription.co_simulation !== undefined ? 'CS' : 'ME');
      const binaryPath =
        o.ensureBinary === undefined ? undefined : await o.ensureBinary(opened, iface, o.fmuStore.compileOptionsOf(data.fmu_sha256));
      const simJob: SimulationJob = {
        fmu: {
          sha256: opened.sha256,
          unpackedDir: opened.unpackedDir,
          modelDescription: opened.modelDescription,
          ...(binaryPath !== undefined ? { binaryPath } : {}),
        },
        options,
        ...(data.digest !== undefined ? { digest: data.digest as unknown as NonNullable<SimulationJob['digest']> } : {}),
      };
      let lastProgress = 0;
      const result: SimulationResult = await o.pool.run(simJob, {
        // With a digest the rows stay in the worker's file (uploaded as is); otherwise written below.
        rowsInFile: data.digest !== undefined,
        ...(signal !== undefined ? { signal } : {}),
        ...(data.caller !== undefined ? { callerId: data.caller } : {}),
        onProgress: (fraction, time) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS && fraction < 1) return;
          lastProgress = now;
          void job.updateProgress({ fraction, time }).catch(() => undefined);
        },
      });
      let file = result.resultFile;
      let bytes: number;
      if (file === undefined) {
        file = join(o.outboxDir, `${randomBytes(8).toString('hex')}.cols`);
        bytes = writeResultFile(file, result);
      } else {
        bytes = statSync(file).size;
      }
      try {
        await o.blobs.putFile(blobKeys.jobResult(jobId), file);
      } finally {
        rmSync(file, { force: true });
      }
      const wire: WireSimulationResult = {
        fmiVersion: result.fmiVersion,
        interface: result.interface,
        rows: result.rows,
        stats: result.stats,
        warnings: result.warnings,
        log: result.log,
        resultFileBytes: bytes,
        ...(result.solver !== undefined ? { solver: result.solver } : {}),
        ...(result.tolerance !== undefined ? { tolerance: result.tolerance } : {}),
        ...(result.terminatedEarly !== undefined ? { terminatedEarly: result.terminatedEarly } : {}),
        ...(result.digest !== undefined ? { digest: result.digest } : {}),
      };
      o.logger.info('job completed', { job_id: jobId, rows: result.rows, attempt: job.attemptsMade + 1 });
      return { result: wire, node: o.nodeName, isolation: isolationLabel(o.pool.isolation) };
    } catch (e) {
      const err = fail(e, signal?.aborted === true, UnrecoverableError);
      o.logger.warn('job failed', { job_id: jobId, reason: err.message.slice(0, 300), final: err instanceof UnrecoverableError });
      throw err;
    }
  };

  const connection = await connectRedis(o.url, 'blocking', `fmu-gateway-worker-${o.nodeName}`);
  const worker: Worker = new Worker(QUEUE_NAME, processJob, {
    connection,
    concurrency: o.concurrency,
    name: o.nodeName,
    lockDuration: o.lockMs,
    // Stalled jobs (a node died holding them) are looked for twice per lock period.
    stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)),
    // A job may lose its node twice and still run; the third loss fails it (WORKER_NODE_LOST).
    maxStalledCount: 2,
  });
  worker.on('error', (e) => o.logger.warn('queue connection trouble', { error: e.message }));

  // Cancellation from any API node: only the node holding the job acts on it.
  const sub = await connectRedis(o.url, 'blocking', `fmu-gateway-worker-cancel-${o.nodeName}`);
  await sub.subscribe(CANCEL_CHANNEL);
  sub.on('message', (_channel: string, id: string) => {
    if (worker.cancelJob(id, 'cancelled by the caller')) o.logger.info('job cancelled', { job_id: id });
  });

  return {
    worker,
    async close() {
      sub.disconnect();
      // Jobs still running finish (or are cancelled by the pool's close) before the worker lets go.
      await worker.close();
      connection.disconnect();
    },
  };
}
