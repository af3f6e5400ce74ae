import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelRegistry } from '../../../src/http/cancel-registry.ts';

describe('CancelRegistry', () => {
  it('cancels the one request matching address and id, then forgets it', () => {
    const r = new CancelRegistry();
    const reasons: string[] = [];
    const remove = r.add('10.0.0.1', 7, (why) => reasons.push(why));
    assert.equal(r.cancel('10.0.0.1', 7, 'user'), 'cancelled');
    assert.deepEqual(reasons, ['user']);
    remove();
    assert.equal(r.size, 0);
    assert.equal(r.cancel('10.0.0.1', 7, 'again'), 'unknown');
  });

  it('does not cancel a request of another address or an id of another type', () => {
    const r = new CancelRegistry();
    let aborted = false;
    r.add('10.0.0.1', 7, () => (aborted = true));
    assert.equal(r.cancel('10.0.0.2', 7, 'x'), 'unknown');
    assert.equal(r.cancel('10.0.0.1', '7', 'x'), 'unknown');
    assert.equal(aborted, false);
  });

  it('refuses an ambiguous cancel rather than stopping the wrong run', () => {
    const r = new CancelRegistry();
    let count = 0;
    r.add('127.0.0.1', 1, () => count++);
    r.add('127.0.0.1', 1, () => count++);
    assert.equal(r.cancel('127.0.0.1', 1, 'x'), 'ambiguous');
    assert.equal(count, 0);
  });
});
