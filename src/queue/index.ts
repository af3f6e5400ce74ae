/** The job queue (BullMQ on Redis): the only importer of bullmq and ioredis. See DESIGN.md "More than one machine". */
export { createQueueRunner, type QueueRunner, type QueueStatus } from './producer.ts';
export { startWorkerNode, type WorkerNode, type WorkerNodeOptions } from './worker-node.ts';
export { connectRateLimitRedis } from './shared-limits.ts';
export { redactUrl } from './connection.ts';
