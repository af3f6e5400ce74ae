/**
 * writeStreamAtomic (src/store/atomic-file.ts): a rendering replaces its file only whole. The
 * group-committed fsyncs of the run store are tested in durable-save.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeStreamAtomic } from '../../../src/store/atomic-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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
