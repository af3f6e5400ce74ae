/** Failed authentications per address (src/http/auth.ts): limited before any key lookup, per node and across nodes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createAuthFailureLimiter } from '../../../src/http/auth.ts';
import { redisMissing, startRedis, type RunningServer } from '../../helpers/db-servers.ts';
import { prerequisite } from '../../helpers/prereq.ts';

describe('auth failure limiter', () => {
  it('blocks an address after max failures in the window, not others, and lets it in again next window', async () => {
    const l = createAuthFailureLimiter(3, 60_000);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) {
      assert.equal(l.blockedFor('a', t), 0);
      await l.fail('a', t);
    }
    assert.ok(l.blockedFor('a', t + 1000) > 0);
    assert.ok(l.blockedFor('a', t + 1000) <= 60);
    assert.equal(l.blockedFor('b', t + 1000), 0, 'another address is not affected');
    assert.equal(l.blockedFor('a', t + 61_000), 0, 'the next window starts clean');
  });
});

describe('auth failure limiter shared through Redis (scale-out)', { skip: prerequisite('redis', redisMissing()) }, () => {
  let server: RunningServer;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('failures spread over two nodes block the address on both, at most one extra failure per node', async () => {
    const max = 4;
    const nodeA = createAuthFailureLimiter(max, 60_000, redis);
    const nodeB = createAuthFailureLimiter(max, 60_000, redis);
    const t = Date.now();
    // Alternating between the nodes: neither alone reaches the limit (2 each)…
    for (let i = 0; i < max; i++) {
      const node = i % 2 === 0 ? nodeA : nodeB;
      assert.equal(node.blockedFor('10.0.0.9', t), 0);
      await node.fail('10.0.0.9', t);
    }
    // …yet the last node to fail saw the total reach it and blocks now.
    assert.ok(nodeB.blockedFor('10.0.0.9', t) > 0, 'the node that saw the total blocks');
    // The other learns at its own next failure (one extra at most), then blocks too.
    assert.equal(nodeA.blockedFor('10.0.0.9', t), 0);
    await nodeA.fail('10.0.0.9', t);
    assert.ok(nodeA.blockedFor('10.0.0.9', t) > 0);
    // Positive control of the shared count: an address with failures on one node only, below
    // the limit, is blocked nowhere; a per-node limiter (no Redis) would need max on each.
    const alone = createAuthFailureLimiter(max, 60_000);
    for (let i = 0; i < 2; i++) await alone.fail('10.0.0.9', t);
    assert.equal(alone.blockedFor('10.0.0.9', t), 0);
    assert.equal(nodeA.blockedFor('10.0.0.10', t), 0, 'other addresses are free');
  });

  it('a Redis fault leaves each node its own count', async () => {
    const broken = { eval: () => Promise.reject(new Error('connection is closed')) };
    const l = createAuthFailureLimiter(2, 60_000, broken);
    await l.fail('x', 1000);
    assert.equal(l.blockedFor('x', 1000), 0);
    await l.fail('x', 1000);
    assert.ok(l.blockedFor('x', 1000) > 0);
  });
});
