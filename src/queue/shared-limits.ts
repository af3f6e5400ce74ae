/**
 * Rate limits and key-creation limits shared by every API node: @fastify/rate-limit keeps its
 * counters in this Redis (the queue's) instead of each node's memory, so N nodes behind a load
 * balancer allow what one would.
 */
import { connectRedis, type RedisClient } from './connection.ts';

export function connectRateLimitRedis(url: string, nodeName: string): Promise<RedisClient> {
  return connectRedis(url, 'producer', `fmu-gateway-ratelimit-${nodeName}`);
}
