import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogForwarder } from '../../../src/runner/log-forwarder.ts';
import { LineRing } from '../../../src/runner/worker-process.ts';

describe('log forwarding', () => {
  it('forwards lines at full rate up to the byte budget, then a trickle, and counts the rest', () => {
    const sent: string[] = [];
    let clock = 0;
    const fwd = createLogForwarder(
      100,
      (l) => sent.push(l),
      100,
      () => clock,
    );
    for (let i = 0; i < 10; i++) fwd('123456789'); // 10 bytes each with the newline: exactly 100
    assert.equal(sent.length, 10);
    clock = 1000;
    fwd('late 1'); // trickle: one line per 100 ms
    fwd('late 2'); // dropped
    clock = 1100;
    fwd('late 3');
    assert.deepEqual(sent.slice(10), ['late 1', 'late 3']);
    assert.equal(fwd.droppedBytes, 7);
  });

  it('cuts a single line longer than the whole budget', () => {
    const sent: string[] = [];
    const fwd = createLogForwarder(
      50,
      (l) => sent.push(l),
      0,
      () => 0,
    );
    fwd('x'.repeat(10_000));
    assert.equal(sent.length, 1);
    assert.ok((sent[0] ?? '').length < 60);
  });

  it('keeps only the newest lines within its byte cap', () => {
    const ring = new LineRing(30);
    for (let i = 0; i < 10; i++) ring.push(`line ${i}`); // 7 bytes each with newline
    assert.deepEqual(ring.tail(100), ['line 6', 'line 7', 'line 8', 'line 9']);
  });
});
