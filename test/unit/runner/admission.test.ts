/**
 * Admission control alone (src/runner/admission.ts): the bounds per caller and in total, a place
 * freed by its release, refusals as plain data equal to the thrown SERVER_BUSY, the HTTP fast
 * path's body equal to the REST error of that error, and Retry-After as a place in a virtual queue
 * (refused clients told to come back spread out, capped at 60 s).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import { busyBody } from '../../../src/http/auth.ts';
import { restErrorOf } from '../../../src/http/error-status.ts';
import { busyError, createAdmission } from '../../../src/runner/admission.ts';

describe('admission', () => {
  it('bounds each caller and the total, and a release frees the place (once)', () => {
    const a = createAdmission({ maxInFlight: 3, maxPerCaller: 2, workers: 1 });
    const t1 = a.admit('x');
    a.admit('x');
    assert.equal(a.refusal('x')?.scope, 'caller');
    assert.throws(
      () => a.admit('x'),
      (e: unknown) => isGatewayError(e) && e.code === 'SERVER_BUSY' && e.data?.['scope'] === 'caller',
    );
    assert.equal(a.refusal('y'), undefined, 'another caller still has room');
    a.admit('y');
    assert.equal(a.refusal('z')?.scope, 'server');
    assert.deepEqual(a.stats(), { inFlight: 3, callers: 2, refused: 3, maxInFlight: 3, maxPerCaller: 2 });
    t1.release();
    t1.release();
    assert.equal(a.stats().inFlight, 2, 'a second release frees nothing more');
    assert.equal(a.refusal('x'), undefined);
    assert.equal(a.refusal('z'), undefined);
  });

  it('a refusal is the data of the SERVER_BUSY thrown, and the HTTP body is its REST error', () => {
    const a = createAdmission({ maxInFlight: 4, maxPerCaller: 1, workers: 2 });
    a.admit('k');
    const r = a.refusal('k');
    assert.ok(r !== undefined);
    assert.deepEqual({ scope: r.scope, held: r.held, limit: r.limit }, { scope: 'caller', held: 1, limit: 1 });
    assert.ok(Number.isInteger(r.retryAfterSeconds) && r.retryAfterSeconds >= 1);
    const e = busyError(r);
    assert.equal(e.code, 'SERVER_BUSY');
    assert.equal(e.message, r.message);
    assert.deepEqual(e.data, { scope: 'caller', limit: 1, retry_after_seconds: r.retryAfterSeconds, hint: r.hint });
    const rest = restErrorOf(e);
    assert.equal(rest.status, 503);
    assert.deepEqual(busyBody(r), rest.body);
    assert.equal(JSON.stringify(busyBody(r)), JSON.stringify(rest.body), 'same keys in the same order');
  });

  it('tells refused clients to come back spread out, not all at once, and never past 60 s', () => {
    // One place, held: places free one hold time (200 ms at first) apart, so five refusals share
    // each second of the virtual queue.
    const a = createAdmission({ maxInFlight: 10, maxPerCaller: 1, workers: 1 });
    a.admit('k');
    const retries = Array.from({ length: 12 }, () => a.refusal('k')?.retryAfterSeconds ?? 0);
    assert.equal(retries[0], 1);
    for (let i = 1; i < retries.length; i++) assert.ok((retries[i] as number) >= (retries[i - 1] as number), retries.join(','));
    assert.ok((retries.at(-1) as number) >= 2, `spread: ${retries.join(',')}`);
    assert.ok(retries.filter((s) => s === 1).length <= 6, `at most about five per second: ${retries.join(',')}`);
    // Another caller's queue is its own: its first refusal is told 1 s.
    a.admit('m');
    assert.equal(a.refusal('m')?.retryAfterSeconds, 1);
    // A flood is capped at 60 s.
    let last = 0;
    for (let i = 0; i < 2000; i++) last = a.refusal('k')?.retryAfterSeconds ?? 0;
    assert.equal(last, 60);
  });

  it('the gateway-wide queue spreads refusals of different callers too', () => {
    const a = createAdmission({ maxInFlight: 1, maxPerCaller: 1, workers: 1 });
    a.admit('holder');
    const retries = Array.from({ length: 12 }, (_, i) => a.refusal(`c${i}`));
    assert.ok(retries.every((r) => r?.scope === 'server'));
    assert.ok((retries.at(-1)?.retryAfterSeconds ?? 0) >= 2, retries.map((r) => r?.retryAfterSeconds).join(','));
  });
});
