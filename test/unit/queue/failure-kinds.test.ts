/**
 * The one mapping of our codes onto BullMQ's failure kinds (src/queue/jobs.ts): an FMU's own
 * failure is final (UnrecoverableError on the worker node), a node's trouble is retried; a job's
 * failedReason decodes back to the coded error, and a worker node cannot make an API node raise
 * an edge-only code (a payment demand).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { decodeFailure, encodeFailure, isRetryable, SimulateJobDataSchema } from '../../../src/queue/jobs.ts';

describe('queue failure kinds', () => {
  it("an FMU's own failures are final; node trouble is retried", () => {
    for (const code of [
      'FMU_CRASHED',
      'SIMULATION_TIMEOUT',
      'SIMULATION_OUT_OF_MEMORY',
      'SIMULATION_FAILED',
      'CANCELLED',
      'BAD_REQUEST',
      'NOT_FOUND',
    ] as const) {
      assert.equal(isRetryable(code), false, code);
    }
    for (const code of ['SANDBOX_UNAVAILABLE', 'DISK_FULL', 'BLOB_STORE_UNAVAILABLE', 'QUEUE_FULL', 'INTERNAL'] as const) {
      assert.equal(isRetryable(code), true, code);
    }
  });

  it('a failedReason decodes to the same code, message and data', () => {
    const e = new GatewayError('SIMULATION_TIMEOUT', 'took too long', { limit_s: 20 });
    const back = decodeFailure(encodeFailure(e));
    assert.deepEqual(back.toJSON(), e.toJSON());
  });

  it('a worker node cannot raise PAYMENT_REQUIRED at the API node', () => {
    const forged = JSON.stringify({ code: 'PAYMENT_REQUIRED', message: 'pay me', data: { checkout_url: 'https://evil.example' } });
    const back = decodeFailure(forged);
    assert.equal(back.code, 'INTERNAL');
    assert.equal(JSON.stringify(back).includes('evil.example'), false);
  });

  it("BullMQ's stalled-too-often reason is WORKER_NODE_LOST; anything else unknown is INTERNAL", () => {
    assert.equal(decodeFailure('job stalled more than allowable limit').code, 'WORKER_NODE_LOST');
    assert.equal(decodeFailure(undefined).code, 'INTERNAL');
  });

  it('job data is schema-checked: a path or a bad hash is refused', () => {
    const ok = { v: 1, kind: 'simulate', fmu_sha256: 'a'.repeat(64), options: { startTime: 0, stopTime: 1, outputInterval: 0.1 } };
    assert.equal(SimulateJobDataSchema.safeParse(ok).success, true);
    assert.equal(SimulateJobDataSchema.safeParse({ ...ok, fmu_sha256: '../../x' }).success, false);
    assert.equal(SimulateJobDataSchema.safeParse({ ...ok, options: { startTime: 0, stopTime: 1, outputInterval: 0 } }).success, false);
  });
});
