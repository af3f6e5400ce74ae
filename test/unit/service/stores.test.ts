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

  const sample = {
    rows: 3,
    time: Float64Array.from([0, 0.1, 0.2]),
    columns: [
      { name: 'x[1,2]', type: 'Float64' as const, unit: 'm', values: Float64Array.from([1, Number.NaN, -Infinity]) },
      { name: 'label', type: 'String' as const, values: ['a', 'b,"c"', ''] },
    ],
  };
  const csvOf = async (id: string, slice?: Parameters<typeof store.csvStream>[1]): Promise<string> => {
    let text = '';
    for await (const chunk of await store.csvStream(id, slice)) text += String(chunk);
    return text;
  };

  it('stores columns and renders a CSV with quoted names, strings and non-finite numbers, and its meta', async () => {
    const id = newRunId();
    const bytes = await store.save(id, sample, { fmu_id: 'msl:M' });
    assert.equal(await csvOf(id), 'time,"x[1,2]",label\n0,1,a\n0.1,NaN,"b,""c"""\n0.2,-Inf,\n');
    assert.deepEqual(store.readMeta(id), { run_id: id, fmu_id: 'msl:M', result_bytes: bytes });
    const file = await store.open(id);
    try {
      assert.equal(file.bytes, bytes);
      assert.deepEqual(
        file.columns.map((c) => [c.name, c.storage, c.unit]),
        [
          ['x[1,2]', 'float64', 'm'],
          ['label', 'string', undefined],
        ],
      );
      assert.deepEqual(Array.from((await file.readColumn(0, 1, 3)) as Float64Array), [Number.NaN, -Infinity]);
      assert.deepEqual(await file.readColumn(1, 1), ['b,"c"', '']);
    } finally {
      await file.close();
    }
  });

  it('renders slices: chosen columns, a row window and every n-th row', async () => {
    const id = newRunId();
    const n = 50_000;
    const time = Float64Array.from({ length: n }, (_, i) => i / 1000);
    const y = Float64Array.from({ length: n }, (_, i) => i * 2);
    await store.save(id, { rows: n, time, columns: [{ name: 'y', type: 'Float64', values: y }] }, {});
    const full = (await csvOf(id)).trimEnd().split('\n');
    assert.equal(full.length, n + 1);
    assert.equal(full[n], `${time[n - 1]},${y[n - 1]}`);
    assert.equal(await csvOf(id, { columns: [], startRow: 2, endRow: 4 }), 'time\n0.002\n0.003\n');
    const every = (await csvOf(id, { startRow: 10, endRow: 40_010, every: 10_000 })).trimEnd().split('\n');
    assert.deepEqual(every, ['time,y', '0.01,20', '10.01,20020', '20.01,40020', '30.01,60020']);
  });

  it('keeps the full CSV as a file once asked for one (byte ranges), with its size', async () => {
    const id = newRunId();
    await store.save(id, sample, {});
    const { path, bytes } = await store.csvFile(id);
    assert.equal(readFileSync(path, 'utf8'), await csvOf(id));
    assert.equal(bytes, Buffer.byteLength(readFileSync(path, 'utf8')));
  });

  it('answers NOT_FOUND for unknown and path-like run ids', async () => {
    for (const id of [newRunId(), '../../etc', 'r1']) {
      assert.throws(
        () => store.readMeta(id),
        (e: unknown) => e instanceof GatewayError && e.code === 'NOT_FOUND',
        id,
      );
      await assert.rejects(store.csvStream(id), (e: unknown) => e instanceof GatewayError && e.code === 'NOT_FOUND');
    }
  });
});
