/** Failed authentications per address (src/http/auth.ts): limited before any key lookup. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthFailureLimiter } from '../../../src/http/auth.ts';

describe('auth failure limiter', () => {
  it('blocks an address after max failures in the window, not others, and lets it in again next window', () => {
    const l = createAuthFailureLimiter(3, 60_000);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) {
      assert.equal(l.blockedFor('a', t), 0);
      l.fail('a', t);
    }
    assert.ok(l.blockedFor('a', t + 1000) > 0);
    assert.ok(l.blockedFor('a', t + 1000) <= 60);
    assert.equal(l.blockedFor('b', t + 1000), 0, 'another address is not affected');
    assert.equal(l.blockedFor('a', t + 61_000), 0, 'the next window starts clean');
  });
});
