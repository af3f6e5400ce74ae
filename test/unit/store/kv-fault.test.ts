/** The one classification of backend failures (src/store/kv.ts storeFault) and the key helpers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { callerOfKey, indexOfKey, prefixEnd, storeFault } from '../../../src/store/kv.ts';
import { toGatewayError } from '../../../src/errors.ts';

describe('storeFault', () => {
  it('a full SQLite database is DISK_FULL with Retry-After', () => {
    const e = storeFault(Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' }), 'sqlite', 'set');
    assert.equal(e.code, 'DISK_FULL');
    assert.ok(Number(e.data?.['retry_after_seconds']) > 0);
  });
  it('connection failures of every driver are STORE_UNAVAILABLE, never "absent"', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('NOREPLICAS Not enough good replicas to write.'), {}),
      new Error('The client is closed'),
    ]) {
      const e = storeFault(err, 'redis', 'get');
      assert.equal(e.code, 'STORE_UNAVAILABLE', err.message);
      assert.equal(e.data?.['retry_after_seconds'], 5);
    }
  });
  it('a GatewayError passes unchanged', () => {
    const g = new GatewayError('BAD_REQUEST', 'x');
    assert.equal(storeFault(g, 'postgres', 'page'), g);
  });
  it('ENOSPC met anywhere is DISK_FULL at the edges; other errors stay INTERNAL', () => {
    assert.equal(toGatewayError(Object.assign(new Error('no space'), { code: 'ENOSPC' })).code, 'DISK_FULL');
    assert.equal(toGatewayError(new Error('bug')).code, 'INTERNAL');
  });
});

describe('key families', () => {
  it('finds the caller segment and the index of a family key', () => {
    assert.equal(callerOfKey('fmugw:usage:abc:000001-ff', 'usage:'), 'abc');
    assert.equal(callerOfKey('fmugw:usage_day:abc:2026-01-01', 'usage:'), undefined);
    assert.equal(indexOfKey('fmugw:run_by:abc:r1'), 'fmugw:idx:run_by:abc:');
    assert.equal(indexOfKey('fmugw:run:r1'), undefined);
    assert.equal(prefixEnd('fmugw:usage:abc:'), 'fmugw:usage:abc;');
  });
});
