/**
 * The asynchronous durable-write helpers (src/store/atomic-file.ts): directory fsyncs shared by
 * concurrent callers (group commit) without ever letting a caller return on a sync that started
 * before its call, new files written whole and size-checked, and the run store's save keeping its
 * all-or-nothing folder on top of them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { syncDirShared, writeNewFileDurably, writeStreamAtomic } from '../../../src/store/atomic-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('syncDirShared', () => {
  it('callers arriving during a sync share ONE next sync, never the running one', async () => {
    const first = syncDirShared(dir);
    const later = Array.from({ length: 10 }, () => syncDirShared(dir));
    // The running sync may have started before the later callers' renames: they must not get it.
    for (const p of later) assert.notEqual(p, first);
    // …and they all wait for the same queued sync (one fsync for ten renames).
    for (const p of later) assert.equal(p, later[0]);
    await Promise.all([first, ...later]);
    // Once everything settled, a new call starts afresh (nothing stays queued forever).
    const again = syncDirShared(dir);
    assert.notEqual(again, later[0]);
    await again;
  });

  it('a queued sync starts only after the running one ended', async () => {
    const order: string[] = [];
    const first = syncDirShared(dir).then(() => order.push('first'));
    const second = syncDirShared(dir).then(() => order.push('second'));
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second']);
  });

  it('a directory that cannot be opened does not fail the caller (the rename is still atomic)', async () => {
    await syncDirShared(join(dir, 'absent'));
  });
});

describe('writeNewFileDurably', () => {
  it('writes the whole file, and never overwrites an existing one', async () => {
    const path = join(dir, 'meta.json');
    const text = JSON.stringify({ a: 'x'.repeat(100_000) });
    await writeNewFileDurably(path, text);
    assert.equal(readFileSync(path, 'utf8'), text);
    await assert.rejects(writeNewFileDurably(path, 'other'), /EEXIST/);
    assert.equal(readFileSync(path, 'utf8'), text);
  });
});

describe('writeStreamAtomic', () => {
  it('replaces the target only once every chunk is written, leaving no temporary file', async () => {
    const path = join(dir, 'out.csv');
    writeFileSync(path, 'old');
    async function* chunks() {
      for (let i = 0; i < 100; i++) yield `${i},${i * 2}\n`;
    }
    const n = await writeStreamAtomic(path, chunks());
    const text = readFileSync(path, 'utf8');
    assert.equal(Buffer.byteLength(text), n);
    assert.equal(text.split('\n').length, 101);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('a failing source leaves the previous file whole', async () => {
    const path = join(dir, 'keep.csv');
    writeFileSync(path, 'previous');
    async function* failing() {
      yield 'partial';
      throw new Error('source broke');
    }
    await assert.rejects(writeStreamAtomic(path, failing()), /source broke/);
    assert.equal(readFileSync(path, 'utf8'), 'previous');
    assert.ok(existsSync(path));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});
