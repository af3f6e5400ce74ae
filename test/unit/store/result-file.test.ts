import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import type { ResultColumn } from '../../../src/engine/types.ts';
import { renderArrow } from '../../../src/store/result-arrow.ts';
import { renderCsv } from '../../../src/store/result-csv.ts';
import { openResultFile } from '../../../src/store/result-file-reader.ts';
import { writeResultFile } from '../../../src/store/result-file-writer.ts';
import { tableFromIPC } from 'apache-arrow';

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-result-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const isCorrupt = (e: unknown): boolean => e instanceof GatewayError && e.code === 'RESULT_CORRUPT';

/** Columns of every storage: exact 64-bit values beyond 2^53 must survive (CSV and Arrow too). */
function typedResult() {
  const big = 2n ** 62n + 1n;
  const columns = [
    { name: 'x', type: 'Float64', unit: 'm', values: Float64Array.from([0.1, Number.NaN, Infinity]) },
    { name: 'i64', type: 'Int64', values: Float64Array.from([Number(-big), 0, 1]), exact: BigInt64Array.from([-big, 0n, 1n]) },
    {
      name: 'u64',
      type: 'UInt64',
      values: Float64Array.from([0, 1, Number(2n ** 64n - 1n)]),
      exact: BigUint64Array.from([0n, 1n, 2n ** 64n - 1n]),
    },
    { name: 's', type: 'String', values: ['a', 'ü,"q"', ''] },
  ] as (ResultColumn & { exact?: BigInt64Array | BigUint64Array })[];
  return { rows: 3, time: Float64Array.from([0, 0.5, 1]), columns, eventRows: Uint8Array.from([0, 1, 0]) };
}

async function text(gen: AsyncGenerator<string | Uint8Array>): Promise<string> {
  let s = '';
  for await (const t of gen) s += typeof t === 'string' ? t : Buffer.from(t).toString('utf8');
  return s;
}

describe('columnar result file', () => {
  it('round-trips every storage exactly, with units, event rows and row ranges', async () => {
    const path = join(dir, 'typed.cols');
    const bytes = writeResultFile(path, typedResult());
    const f = await openResultFile(path);
    try {
      assert.equal(f.bytes, bytes);
      assert.deepEqual(
        f.columns.map((c) => [c.name, c.storage, c.fmi_type, c.unit]),
        [
          ['x', 'float64', 'Float64', 'm'],
          ['i64', 'int64', 'Int64', undefined],
          ['u64', 'uint64', 'UInt64', undefined],
          ['s', 'string', 'String', undefined],
        ],
      );
      assert.deepEqual(Array.from(await f.readTime(1)), [0.5, 1]);
      assert.deepEqual(Array.from((await f.readColumn(1)) as BigInt64Array), [-(2n ** 62n + 1n), 0n, 1n]);
      assert.deepEqual(Array.from((await f.readColumn(2, 2, 3)) as BigUint64Array), [2n ** 64n - 1n]);
      assert.deepEqual(await f.readColumn(3, 1, 3), ['ü,"q"', '']);
      assert.deepEqual(Array.from((await f.readEventRows()) as Uint8Array), [0, 1, 0]);
      assert.equal(
        await text(renderCsv(f)),
        `time,x,i64,u64,s\n0,0.1,-${2n ** 62n + 1n},0,a\n0.5,NaN,0,1,"ü,""q"""\n1,Inf,1,${2n ** 64n - 1n},\n`,
      );
    } finally {
      await f.close();
    }
  });

  it('exports Arrow IPC with the storage types and field metadata', async () => {
    const path = join(dir, 'arrow.cols');
    writeResultFile(path, typedResult());
    const f = await openResultFile(path);
    const chunks: Buffer[] = [];
    try {
      for await (const c of renderArrow(f)) chunks.push(c as Buffer);
    } finally {
      await f.close();
    }
    const table = tableFromIPC(Buffer.concat(chunks));
    assert.equal(table.numRows, 3);
    assert.deepEqual(
      table.schema.fields.map((fd) => [fd.name, String(fd.type), fd.metadata.get('unit') ?? null]),
      [
        ['time', 'Float64', 's'],
        ['x', 'Float64', 'm'],
        ['i64', 'Int64', null],
        ['u64', 'Uint64', null],
        ['s', 'Utf8', null],
      ],
    );
    assert.equal(table.getChild('u64')?.get(2), 2n ** 64n - 1n);
    assert.equal(table.getChild('s')?.get(1), 'ü,"q"');
  });

  it('refuses damaged files with RESULT_CORRUPT, never garbage', async () => {
    const good = join(dir, 'good.cols');
    writeResultFile(good, typedResult());
    const original = readFileSync(good);
    const variant = (name: string, bytes: Buffer): string => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    const footerLen = original.readUInt32LE(original.length - 16);
    const footerAt = original.length - 16 - footerLen;
    const withFooter = (footer: unknown): Buffer => {
      const json = Buffer.from(JSON.stringify(footer));
      const tail = Buffer.alloc(16);
      tail.writeUInt32LE(json.length, 0);
      tail.write('FGCOLS01', 8, 'latin1');
      return Buffer.concat([original.subarray(0, footerAt), json, tail]);
    };
    const footer = JSON.parse(original.subarray(footerAt, footerAt + footerLen).toString()) as {
      rows: number;
      time: { offset: number; bytes: number };
      columns: { block: { offset: number; bytes: number } }[];
    };
    const cases: Record<string, Buffer> = {
      empty: Buffer.alloc(0),
      'no magic': Buffer.concat([Buffer.from('NOTMAGIC'), original.subarray(8)]),
      'footer length past the start': (() => {
        const b = Buffer.from(original);
        b.writeUInt32LE(original.length, original.length - 16);
        return b;
      })(),
      'footer not JSON': withFooter('x').fill(0x7b, footerAt, footerAt + 3),
      'footer of another shape': withFooter({ ...footer, version: 2 }),
      'rows larger than the blocks': withFooter({ ...footer, rows: footer.rows + 1 }),
      'block past the data': withFooter({ ...footer, time: { offset: footerAt, bytes: 24 } }),
      'unaligned block': withFooter({ ...footer, time: { offset: footer.time.offset + 1, bytes: 24 } }),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      await assert.rejects(openResultFile(variant(`${name.replace(/ /g, '-')}.cols`, bytes)), isCorrupt, name);
    }
    // String offsets pointing outside their block are caught when read.
    const s = footer.columns[3]?.block as { offset: number; bytes: number };
    const bad = Buffer.from(original);
    bad.writeUInt32LE(0xffff_fff0, s.offset + 4);
    const f = await openResultFile(variant('bad-offsets.cols', bad));
    try {
      await assert.rejects(f.readColumn(3), isCorrupt);
    } finally {
      await f.close();
    }
    // A file cut short after it was opened: the read fails instead of returning zeros.
    const cut = variant('cut.cols', original);
    const g = await openResultFile(cut);
    try {
      truncateSync(cut, 16);
      await assert.rejects(g.readColumn(0), isCorrupt);
    } finally {
      await g.close();
    }
  });
});
