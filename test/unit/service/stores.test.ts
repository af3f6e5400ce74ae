import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { createFmuFileStore } from '../../../src/store/fmu-file-store.ts';
import { createRunResultStore, isRunId, newRunId } from '../../../src/store/run-result-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('FMU file store', () => {
  const store = createFmuFileStore(dir);
  const bytes = Buffer.from('PK not really an fmu, but bytes are bytes');
  const sha = createHash('sha256').update(bytes).digest('hex');

  it('stores bytes once under their sha256', () => {
    const first = store.put(bytes);
    assert.deepEqual({ sha: first.sha256, again: first.alreadyStored }, { sha, again: false });
    assert.equal(store.put(bytes).alreadyStored, true);
    assert.deepEqual(readdirSync(join(dir, 'fmus')), [`${sha}.fmu`]);
    assert.deepEqual(readFileSync(store.pathOf(sha) as string), bytes);
  });

  it('answers undefined for unknown and malformed hashes', () => {
    assert.equal(store.pathOf('0'.repeat(64)), undefined);
    assert.equal(store.pathOf(`../${sha}`), undefined);
  });
});

describe('run result store', () => {
  const store = createRunResultStore(dir);

  it('makes unique, well-formed run ids', () => {
    const a = newRunId();
    assert.ok(isRunId(a), a);
    assert.notEqual(a, newRunId());
  });

  it('writes a CSV with quoted names, strings and non-finite numbers, and its meta', () => {
    const id = newRunId();
    const bytes = store.save(
      id,
      {
        rows: 3,
        time: Float64Array.from([0, 0.1, 0.2]),
        columns: [
          { name: 'x[1,2]', type: 'Float64', values: Float64Array.from([1, Number.NaN, -Infinity]) },
          { name: 'label', type: 'String', values: ['a', 'b,"c"', ''] },
        ],
      },
      { fmu_id: 'msl:M' },
    );
    const csv = readFileSync(store.csvPath(id), 'utf8');
    assert.equal(csv, 'time,"x[1,2]",label\n0,1,a\n0.1,NaN,"b,""c"""\n0.2,-Inf,\n');
    assert.equal(bytes, Buffer.byteLength(csv));
    assert.deepEqual(store.readMeta(id), { run_id: id, fmu_id: 'msl:M', csv_bytes: bytes });
    assert.equal(store.csvSize(id), bytes);
  });

  it('answers NOT_FOUND for unknown and path-like run ids', () => {
    for (const id of [newRunId(), '../../etc', 'r1']) {
      assert.throws(
        () => store.readMeta(id),
        (e: unknown) => e instanceof GatewayError && e.code === 'NOT_FOUND',
        id,
      );
    }
  });
});
