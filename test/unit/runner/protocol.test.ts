import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWorkerMessage } from '../../../src/runner/protocol.ts';

describe('worker → pool protocol schema', () => {
  // The rows are in the job's result file (src/runner/result-outbox.ts), not in the frame.
  const result = {
    fmiVersion: '2.0',
    interface: 'CS',
    rows: 2,
    stats: { steps: 1, events: 0, rejectedSteps: 0, wallMs: 0.1 },
    warnings: [],
    log: [],
    resultFileBytes: 120,
  };
  const digest = {
    summary: { x: { min: 1, max: 2, mean: 1.5, final: 2, unit: 'm' } },
    skipped: [],
    warnings: [],
    kpis: { x_max: 2, x_rise_time: null },
    series: [{ points: 200, values: { time: [0, 1], x: [1, null] } }],
    eventTimes: [],
  };

  it('accepts every message the worker sends', () => {
    for (const m of [
      { type: 'ready', pid: 1 },
      { type: 'ready', pid: 1, seccomp: { installed: true, detail: 'denied: x' } },
      { type: 'loaded', id: 1, onlyOncePerProcess: false },
      { type: 'progress', id: 1, fraction: 0.5, time: 0.5 },
      { type: 'log', id: 1, line: 'hello' },
      { type: 'result', id: 1, result, droppedLogBytes: 0 },
      { type: 'result', id: 1, result: { ...result, digest }, droppedLogBytes: 0 },
      { type: 'value', id: 1, value: { anything: [1] }, droppedLogBytes: 0 },
      { type: 'error', id: 1, error: { code: 'FMI_CALL_FAILED', message: 'm', data: { status: 'Error' } }, droppedLogBytes: 0 },
    ]) {
      assert.equal(parseWorkerMessage(m).ok, true, JSON.stringify(m));
    }
  });

  it('refuses wrong shapes, with where they are wrong', () => {
    const cases: unknown[] = [
      null,
      'text',
      { type: 'error', error: null },
      { type: 'error', id: 1, error: null, droppedLogBytes: 0 },
      { type: 'log', id: 1, line: null },
      { type: 'progress', id: 1, fraction: Number.NaN, time: 0 },
      { type: 'result', id: 1, result: { ...result, resultFileBytes: -1 }, droppedLogBytes: 0 },
      { type: 'result', id: 1, result: { ...result, digest: { ...digest, kpis: { x_max: '2' } } }, droppedLogBytes: 0 },
      { type: 'result', id: 1, result: { ...result, digest: { ...digest, series: [{ points: 1, values: {} }] } }, droppedLogBytes: 0 },
      { type: 'result', id: 1, result: { value: 1 }, droppedLogBytes: 0 },
      { type: 'unknown', id: 1 },
      { type: 'log', id: -1, line: 'x' },
    ];
    for (const m of cases) {
      const r = parseWorkerMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
    }
    const r = parseWorkerMessage({ type: 'log', id: 1, line: null });
    assert.ok(!r.ok && r.reason.includes('line'), JSON.stringify(r));
  });

  it('refuses error codes that only the edges may produce (a forged 402 or 401)', () => {
    for (const code of ['PAYMENT_REQUIRED', 'UNAUTHORIZED', 'QUEUE_FULL', 'REMOTE_ERROR', 'NO_SUCH_CODE']) {
      assert.equal(parseWorkerMessage({ type: 'error', id: 1, error: { code, message: 'm' }, droppedLogBytes: 0 }).ok, false, code);
    }
  });
});
