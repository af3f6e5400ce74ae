/**
 * The warm path's durable writes (issue 24): fsyncs issued together off the event loop, a
 * results-directory fsync shared by concurrent saves, and a run store whose save is whole or
 * nothing — meta.json (the run's commit mark) only beside a complete result, nothing left behind
 * when a save fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { createDirSyncer, fsyncDir, fsyncPath } from '../../../src/store/atomic-file.ts';
import { createRunResultStore, newRunId } from '../../../src/store/run-result-store.ts';
import { startPhaseClock } from '../../../src/service/phases.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-durable-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('asynchronous fsync helpers', () => {
  it('fsyncPath checks the size it was told, and fails on a short file', async () => {
    const p = join(dir, 'f.bin');
    writeFileSync(p, Buffer.alloc(100, 7));
    await fsyncPath(p, { expectedBytes: 100 });
    await assert.rejects(fsyncPath(p, { expectedBytes: 101 }), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
  });

  it('fsyncDir syncs an existing directory and fails for a missing one (a lost folder is no success)', async () => {
    await fsyncDir(dir);
    await assert.rejects(fsyncDir(join(dir, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });

  it('a directory syncer shares one flush among callers arriving while one is in flight', async () => {
    const syncer = createDirSyncer(dir);
    const first = syncer.sync();
    const second = syncer.sync();
    const third = syncer.sync();
    // The first starts at once; the next two came during it and share the one that follows.
    assert.notEqual(first, second);
    assert.equal(second, third);
    await Promise.all([first, second, third]);
    // Idle again: a new caller starts a new flush.
    const fourth = syncer.sync();
    assert.notEqual(fourth, second);
    await fourth;
  });

  it('a directory syncer reports a failing flush to its callers, and recovers', async () => {
    const gone = join(dir, 'gone');
    const syncer = createDirSyncer(gone);
    await assert.rejects(syncer.sync(), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    // The directory appears: the next flush succeeds.
    mkdirSync(gone);
    await syncer.sync();
  });
});

describe('run store save', () => {
  const store = createRunResultStore(dir);
  const sample = {
    rows: 2,
    time: Float64Array.from([0, 1]),
    columns: [{ name: 'y', type: 'Float64' as const, values: Float64Array.from([3, 4]) }],
  };

  it('leaves exactly the result and meta.json in the run folder (no temporary file)', async () => {
    const id = newRunId();
    const bytes = await store.save(id, sample, { fmu_id: 'msl:M' });
    assert.deepEqual(readdirSync(join(store.dir, id)).sort(), ['meta.json', 'result.cols']);
    assert.deepEqual(store.readMeta(id), { run_id: id, fmu_id: 'msl:M', result_bytes: bytes });
    const file = await store.open(id);
    try {
      assert.deepEqual(Array.from((await file.readColumn(0)) as Float64Array), [3, 4]);
    } finally {
      await file.close();
    }
  });

  it('a save that fails leaves no run behind (no folder, NOT_FOUND)', async () => {
    const id = newRunId();
    // The worker's file is gone (an operator cleaned up): the adoption fails.
    await assert.rejects(store.save(id, { ...sample, resultFile: join(dir, 'no-such-file.cols') }, {}));
    assert.equal(existsSync(join(store.dir, id)), false);
    assert.throws(
      () => store.readMeta(id),
      (e: unknown) => e instanceof GatewayError && e.code === 'NOT_FOUND',
    );
  });

  it('adopts a worker file by rename (the file leaves its old place)', async () => {
    const id = newRunId();
    const src = join(dir, 'worker.cols');
    const other = createRunResultStore(join(dir, 'other'));
    const tmpId = newRunId();
    await other.save(tmpId, sample, {});
    renameSync(join(other.dir, tmpId, 'result.cols'), src);
    const bytes = await store.save(id, { rows: 2, time: new Float64Array(0), columns: [], resultFile: src }, {});
    assert.equal(existsSync(src), false);
    assert.equal((store.readMeta(id) as { result_bytes: number }).result_bytes, bytes);
  });
});

describe('phase clock', () => {
  it('books the time between marks under each phase, and notes durations measured elsewhere', async () => {
    const clock = startPhaseClock();
    await new Promise((r) => setTimeout(r, 20));
    clock.mark('wait');
    clock.note('(elsewhere)', 5);
    clock.mark('nothing');
    const r = clock.result();
    assert.deepEqual(Object.keys(r), ['wait', '(elsewhere)', 'nothing', 'total', 'main thread busy', 'process cpu']);
    assert.ok((r.wait as number) >= 15, `wait ${r.wait}`);
    assert.equal(r['(elsewhere)'], 5);
    assert.ok((r.nothing as number) < 15);
    assert.ok(Math.abs((r.total as number) - (r.wait as number) - (r.nothing as number)) < 0.01);
  });

  it('counts synchronous work on the main thread as busy time and as CPU time', async () => {
    const clock = startPhaseClock();
    // An event-loop turn first: busy time is booked per loop iteration.
    await new Promise((r) => setImmediate(r));
    const until = performance.now() + 30;
    while (performance.now() < until) {
      // spinning: main-thread work
    }
    await new Promise((r) => setImmediate(r));
    clock.mark('spin');
    const r = clock.result();
    assert.ok((r['main thread busy'] as number) >= 25, `busy ${r['main thread busy']}`);
    assert.ok((r['process cpu'] as number) >= 15, `cpu ${r['process cpu']}`);
  });
});
