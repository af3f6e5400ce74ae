import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDeath, effectiveSignal } from '../../../src/runner/exit-classify.ts';
import type { WorkerDeath } from '../../../src/runner/exit-classify.ts';

const MiB = 1024 * 1024;
const death = (d: Partial<WorkerDeath>): WorkerDeath => ({
  code: null,
  signal: null,
  sandboxed: false,
  peakDataBytes: 100 * MiB,
  memoryLimitBytes: 512 * MiB,
  stderrTail: '',
  lastLogLines: [],
  ...d,
});

describe('worker death classification', () => {
  it('decodes bwrap exit code 128+N as signal N', () => {
    assert.equal(effectiveSignal({ code: 139, signal: null, sandboxed: true }), 'SIGSEGV');
    assert.equal(effectiveSignal({ code: 139, signal: null, sandboxed: false }), null);
    assert.equal(effectiveSignal({ code: null, signal: 'SIGABRT', sandboxed: true }), 'SIGABRT');
  });

  it('reports a segfault far from the memory limit as FMU_CRASHED with the signal and log lines', () => {
    const e = classifyDeath(death({ code: 139, sandboxed: true, lastLogLines: ['about to fail'] }));
    assert.equal(e.code, 'FMU_CRASHED');
    assert.equal(e.data?.signal, 'SIGSEGV');
    assert.deepEqual(e.data?.last_log_lines, ['about to fail']);
  });

  it('reports a segfault near the memory limit as SIMULATION_OUT_OF_MEMORY', () => {
    assert.equal(classifyDeath(death({ signal: 'SIGSEGV', peakDataBytes: 480 * MiB })).code, 'SIMULATION_OUT_OF_MEMORY');
  });

  it('reports a SIGKILL as out of memory only with evidence (an OOM kill in its cgroup, or our kill at the limit)', () => {
    const e = classifyDeath(death({ signal: 'SIGKILL', memoryKilled: true, peakMemoryBytes: 520 * MiB }));
    assert.equal(e.code, 'SIMULATION_OUT_OF_MEMORY');
    assert.equal(e.data?.peak_memory_mb, 520);
  });

  it('reports a SIGKILL without memory evidence (the FMU raised it) as FMU_CRASHED', () => {
    const e = classifyDeath(death({ signal: 'SIGKILL', memoryKilled: false }));
    assert.equal(e.code, 'FMU_CRASHED');
    assert.equal(e.data?.signal, 'SIGKILL');
    assert.equal(classifyDeath(death({ code: 137, sandboxed: true })).code, 'FMU_CRASHED');
  });

  it('recognises V8 and C++ out-of-memory messages on stderr', () => {
    const e = classifyDeath(
      death({ signal: 'SIGABRT', stderrTail: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }),
    );
    assert.equal(e.code, 'SIMULATION_OUT_OF_MEMORY');
  });

  it('reports a plain non-zero exit as FMU_CRASHED with the exit code', () => {
    const e = classifyDeath(death({ code: 3 }));
    assert.equal(e.code, 'FMU_CRASHED');
    assert.equal(e.data?.exit_code, 3);
    assert.equal(e.data?.signal, null);
  });
});
