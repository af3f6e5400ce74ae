import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { dataBytes, ProcessMemoryReader, ProcFile, ThreadCountReader, threadCount } from '../../../src/runner/proc-tree.ts';
import { createLogFile, readLogTail } from '../../../src/runner/result-outbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'proc-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('kept-descriptor readers of /proc and cgroup files', () => {
  it('reads the file as it is now at every read (pread at 0), and finds a number after a key', () => {
    const path = join(dir, 'events');
    writeFileSync(path, 'oom 0\noom_kill 0\n');
    const f = new ProcFile(path, 4); // smaller than the file: the buffer grows
    assert.equal(f.numberAfter('\noom_kill '), 0);
    writeFileSync(path, 'oom 1\noom_kill 17\noom_group_kill 3\n');
    assert.equal(f.numberAfter('\noom_kill '), 17);
    assert.equal(f.read()?.toString(), 'oom 1\noom_kill 17\noom_group_kill 3\n');
    f.close();
    assert.equal(f.read(), undefined);
  });

  it('says undefined / 0 for a file that is not there (a process gone)', () => {
    const f = new ProcFile(join(dir, 'missing'));
    assert.equal(f.read(), undefined);
    assert.equal(f.numberAfter('x'), 0);
    assert.equal(new ThreadCountReader(2 ** 22 + 1).read(), 0);
    assert.deepEqual(new ProcessMemoryReader(2 ** 22 + 1).read(), { dataBytes: 0, residentBytes: 0 });
  });

  it("counts this process's threads as /proc/<pid>/status does, and sees a new thread", async () => {
    const reader = new ThreadCountReader(process.pid);
    const before = reader.read();
    assert.equal(before, threadCount(process.pid));
    const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => w.once('online', r));
    try {
      assert.ok(reader.read() > before, `${reader.read()} threads after starting one, ${before} before`);
    } finally {
      await w.terminate();
      reader.close();
    }
  });

  it('reads VmData like the regular expression did, and a resident size', () => {
    const reader = new ProcessMemoryReader(process.pid);
    const m = reader.read();
    const viaRegex = dataBytes(process.pid);
    // Two reads a moment apart: the heap may move a little between them.
    assert.ok(Math.abs(m.dataBytes - viaRegex) < 64 * 1024 * 1024, `${m.dataBytes} vs ${viaRegex}`);
    assert.ok(m.dataBytes > 0 && m.residentBytes > 0);
    reader.close();
  });
});

describe("a worker's FMU log file", () => {
  it('gives the lines written since an offset, at most maxBytes of them, without a cut first line', () => {
    const outbox = mkdtempSync(join(dir, 'outbox-'));
    const log = createLogFile(outbox, undefined);
    appendFileSync(log.path, 'old job line\n');
    const start = readLogTail(log, 0, 1 << 20);
    assert.deepEqual(start.lines, ['old job line']);
    appendFileSync(log.path, 'first\nsecond\nthird, no newline yet');
    const next = readLogTail(log, start.end, 1 << 20);
    assert.deepEqual(next.lines, ['first', 'second', 'third, no newline yet']);
    assert.deepEqual(readLogTail(log, next.end, 1 << 20).lines, []);
    // A window of 12 bytes ends "…ond\nthird, no newline yet"[-12:]: the cut line is dropped.
    const tail = readLogTail(log, start.end, 'newline yet'.length + 1);
    assert.deepEqual(tail.lines, []);
    const tail2 = readLogTail(log, start.end, 'd\nthird, no newline yet'.length);
    assert.deepEqual(tail2.lines, ['third, no newline yet']);
    closeSync(log.fd);
  });

  it('is created by the gateway only once (an existing name is refused, never followed)', () => {
    const outbox = mkdtempSync(join(dir, 'outbox-'));
    closeSync(createLogFile(outbox, undefined).fd);
    assert.throws(() => createLogFile(outbox, undefined), /EEXIST/);
  });
});
