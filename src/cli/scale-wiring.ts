/**
 * Composition root of the scale-out pieces for `serve` (API nodes): with FMU_GATEWAY_BLOB_URL the
 * FMU and run stores are backed by the shared blob store; with FMU_GATEWAY_QUEUE_URL runs become
 * BullMQ jobs for `fmu-gateway worker` nodes (this node starts no worker pool), and rate limits
 * live in that Redis. Neither set: nothing changes (everything runs in-process).
 * bullmq, ioredis and the AWS SDK load here only when configured (src/queue, src/blobs).
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { ServiceContext } from '../service/context.ts';
import type { ScaleHealth } from '../schemas/scale.ts';

export interface ScaleWiring {
  /** For @fastify/rate-limit's `redis` option: counters shared by every API node. */
  rateLimitRedis?: unknown;
  close(): Promise<void>;
}

export async function attachScaleOut(ctx: ServiceContext, config: Config): Promise<ScaleWiring | undefined> {
  const { queueUrl, blobUrl, nodeName } = config.scale;
  if (queueUrl === undefined && blobUrl === undefined) return undefined;
  const { openBlobStore } = await import('../blobs/index.ts');
  const { withSharedFmuStore, withSharedRunStore } = await import('../blobs/shared-stores.ts');
  const blobs = await openBlobStore(blobUrl, config.dataDir);
  if (blobUrl === undefined) {
    ctx.logger.warn(
      'FMU_GATEWAY_QUEUE_URL without FMU_GATEWAY_BLOB_URL: FMUs and results are shared through a directory of this machine only',
      {
        blobs: blobs.location,
      },
    );
  }
  ctx.fmuStore = withSharedFmuStore(ctx.fmuStore, blobs);
  ctx.results = withSharedRunStore(ctx.results, blobs);
  if (queueUrl === undefined) {
    ctx.scale = { status: async (): Promise<ScaleHealth> => ({ node: nodeName, blobs: await blobs.status() }) };
    return { close: () => blobs.close() };
  }
  const queue = await import('../queue/index.ts');
  const runner = await queue.createQueueRunner({
    url: queueUrl,
    blobs,
    incomingDir: join(ctx.results.dir, '.queue-incoming'),
    nodeName,
    logger: ctx.logger,
    attempts: config.scale.attempts,
  });
  ctx.runner = runner;
  // Sources-only FMUs are compiled by the worker node that runs them (cached there by sha256);
  // this node only needs to know compiling is offered (placement).
  if (ctx.ensureBinary !== undefined) ctx.ensureBinary = () => Promise.resolve(undefined);
  const rateLimitRedis = await queue.connectRateLimitRedis(queueUrl, nodeName);
  const url = queue.redactUrl(queueUrl);
  ctx.scale = {
    status: async (): Promise<ScaleHealth> => {
      const [q, b] = await Promise.all([runner.status(), blobs.status()]);
      return { node: nodeName, queue: { ...q, url }, blobs: b };
    },
  };
  return {
    rateLimitRedis,
    close: async () => {
      await runner.close();
      rateLimitRedis.disconnect();
      await blobs.close();
    },
  };
}
