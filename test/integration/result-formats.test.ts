/**
 * The exports of a stored run, each read back by a reader that is not ours:
 * - MAT v4 ("dsres" layout) by SciPy's scipy.io.loadmat (names, descriptions, dataInfo, values
 *   compared with the CSV of the same run);
 * - Parquet by DuckDB (its own C++ Parquet reader): column types and every value exact,
 *   Int64 / UInt64 at the ends of their ranges included, units and descriptions in the metadata;
 * - Arrow by apache-arrow's reader: field types and the arrow.modelica metadata keys.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SimulateInputSchema } from '../../src/schemas/simulate.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { readRunResult } from '../../src/service/read-run.ts';
import { simulate } from '../../src/service/simulate.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { buildModels, createTestContext } from './service-helpers.ts';

let ctx: ServiceContext;
let cleanup = () => {};
let tmp: string;

before(async () => {
  ({ ctx, cleanup } = createTestContext(await buildModels(['Feedthrough', 'BouncingBall'])));
  tmp = mkdtempSync(join(tmpdir(), 'fmu-gw-formats-'));
});
after(() => {
  cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** A python3 that has SciPy: the Debian one (python3-scipy) first, then whatever is on PATH. */
function pythonWithScipy(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import scipy.io'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = pythonWithScipy();
const noScipy = prerequisite('python3-scipy', python === undefined ? 'no python3 with scipy (apt-get install python3-scipy)' : undefined);

function csvColumns(text: string): { names: string[]; cols: Record<string, string[]> } {
  const [head, ...rows] = text.trimEnd().split('\n');
  const names = (head as string).split(',');
  const cols: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const r of rows) r.split(',').forEach((cell, i) => cols[names[i] as string]?.push(cell));
  return { names, cols };
}

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

const INT64_MIN = '-9223372036854775808';
const INT64_MAX = '9223372036854775807';
const UINT64_MAX = '18446744073709551615';

async function feedthroughRun(): Promise<string> {
  const input = SimulateInputSchema.parse({
    fmu_id: 'msl:Feedthrough',
    fmi_version: '3.0',
    stop_time: 1,
    step: 0.25,
    outputs: [
      'Float64_output',
      'Float32_output',
      'Int8_output',
      'UInt32_output',
      'Int64_output',
      'UInt64_output',
      'Boolean_output',
      'String_output',
      'Int64_parameter',
    ],
    start_values: { UInt64_input: UINT64_MAX, Int8_input: -7, UInt32_input: 4000000000, String_input: 'a,"b"', Int64_parameter: INT64_MAX },
    input_signals: [
      { name: 'Int64_input', time: [0, 0.5, 0.75], values: [-9223372036854775808, 2 ** 62, INT64_MAX] },
      { name: 'Boolean_input', time: [0, 0.5], values: [false, true] },
      { name: 'Float64_input', time: [0, 1], values: [0.1, 2.1] },
    ],
  });
  return (await simulate(ctx, input)).output.run_id;
}

describe('Parquet, read back by DuckDB', () => {
  it('keeps every type and value, Int64 / UInt64 extremes included, with units and descriptions', async () => {
    const runId = await feedthroughRun();
    const path = join(tmp, 'feedthrough.parquet');
    writeFileSync(path, await ctx.results.parquetBytes(runId));
    const csv = csvColumns(await readRunResult(ctx, runId).readText(1 << 24));

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const types = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowObjects();
    assert.deepEqual(Object.fromEntries(types.map((t) => [String(t.column_name), String(t.column_type)])), {
      time: 'DOUBLE',
      Float64_output: 'DOUBLE',
      Float32_output: 'FLOAT',
      Int8_output: 'TINYINT',
      UInt32_output: 'UINTEGER',
      Int64_output: 'BIGINT',
      UInt64_output: 'UBIGINT',
      Boolean_output: 'BOOLEAN',
      String_output: 'VARCHAR',
      Int64_parameter: 'BIGINT',
    });
    // Every cell as DuckDB's own text, compared with our CSV of the same run (64-bit integers as digits).
    const rows = (
      await con.runAndReadAll(
        `SELECT time::VARCHAR t, Int64_output::VARCHAR i, UInt64_output::VARCHAR u, Int8_output::VARCHAR i8, UInt32_output::VARCHAR u32,
                Boolean_output b, String_output s, Float64_output f, Int64_parameter::VARCHAR p FROM read_parquet('${path}')`,
      )
    ).getRowObjects();
    assert.equal(rows.length, csv.cols.time?.length);
    rows.forEach((r, k) => {
      assert.equal(Number(r.t), Number(csv.cols.time?.[k]));
      assert.equal(r.i, csv.cols.Int64_output?.[k]);
      assert.equal(r.u, UINT64_MAX);
      assert.equal(r.i8, '-7');
      assert.equal(r.u32, '4000000000');
      assert.equal(r.b, csv.cols.Boolean_output?.[k] === '1');
      assert.equal(r.s, 'a,"b"');
      assert.equal(r.f, Number(csv.cols.Float64_output?.[k]));
      assert.equal(r.p, INT64_MAX);
    });
    assert.ok(rows.some((r) => r.i === INT64_MIN) && rows.some((r) => r.i === INT64_MAX), 'both ends of the Int64 range');
    assert.ok(rows.some((r) => r.b === true) && rows.some((r) => r.b === false));

    const kv = (await con.runAndReadAll(`SELECT key::VARCHAR k, decode(value) v FROM parquet_kv_metadata('${path}')`)).getRowObjects();
    const columnsMeta = kv.find((x) => x.k === 'fmu_gateway.columns');
    assert.ok(columnsMeta !== undefined, 'fmu_gateway.columns key-value metadata');
    const described = JSON.parse(String(columnsMeta.v)) as { name: string; description?: string; causality?: string; unit?: string }[];
    assert.equal(described.find((c) => c.name === 'Int64_output')?.description, 'Int64 output = Int64_input');
    assert.equal(described.find((c) => c.name === 'Int64_output')?.causality, 'output');
    assert.equal(described.find((c) => c.name === 'time')?.unit, 's');
    assert.ok(
      kv.some((x) => x.k === 'ARROW:schema'),
      'the Arrow schema (field metadata) is embedded',
    );
  });
});

describe('Arrow IPC', () => {
  it('types each column by its FMI type and carries arrow.modelica metadata keys', async () => {
    const runId = await feedthroughRun();
    const { tableFromIPC } = await import('apache-arrow');
    const table = tableFromIPC(await drain(await ctx.results.arrowStream(runId)));
    const field = (n: string) => table.schema.fields.find((f) => f.name === n);
    assert.equal(String(field('Int8_output')?.type), 'Int8');
    assert.equal(String(field('UInt64_output')?.type), 'Uint64');
    assert.equal(String(field('Boolean_output')?.type), 'Bool');
    assert.equal(field('Float64_output')?.metadata.get('description'), 'Float64 output = Float64_input');
    assert.equal(field('Float64_output')?.metadata.get('causality'), 'output');
    assert.equal(table.schema.metadata.get('modelica.stopTime'), '1');
    const u = table.getChild('UInt64_output')?.get(0) as bigint;
    assert.equal(u, 18446744073709551615n);
  });
});

describe('MAT v4, read by scipy.io.loadmat', { skip: noScipy }, () => {
  it('BouncingBall: names, descriptions with units, dataInfo and every value match the CSV', async () => {
    const { output } = await simulate(
      ctx,
      SimulateInputSchema.parse({ fmu_id: 'msl:BouncingBall', stop_time: 2, step: 0.01, interface: 'ME', outputs: ['h', 'v', 'bounces'] }),
    );
    const path = join(tmp, 'bb.mat');
    writeFileSync(path, await drain(await ctx.results.matStream(output.run_id)));
    const script = `
import json, sys, scipy.io
m = scipy.io.loadmat(sys.argv[1], chars_as_strings=False)
text = lambda a: [''.join(c).rstrip() for c in a.T]
print(json.dumps({
  'aclass': [''.join(r).rstrip() for r in m['Aclass']],
  'names': text(m['name']), 'descriptions': text(m['description']),
  'dataInfo': m['dataInfo'].tolist(), 'data_1': m['data_1'].tolist(),
  'data_2': [[repr(float(x)) for x in row] for row in m['data_2']],
}))`;
    const r = spawnSync(python as string, ['-c', script, path], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const mat = JSON.parse(r.stdout) as {
      aclass: string[];
      names: string[];
      descriptions: string[];
      dataInfo: number[][];
      data_1: number[][];
      data_2: string[][];
    };
    const csv = csvColumns(readFileSync((await ctx.results.csvFile(output.run_id)).path, 'utf8'));
    assert.deepEqual(mat.aclass, ['Atrajectory', '1.1', '', 'binTrans']);
    assert.deepEqual(mat.names, csv.names);
    assert.equal(mat.descriptions[0], 'Time in [s]');
    assert.equal(mat.descriptions[1], 'Height of the ball above the ground (start value = drop height h0) [m]');
    assert.equal(mat.descriptions[2], 'Vertical velocity (positive up) [m/s]');
    assert.equal(mat.descriptions[3], 'Number of impacts so far');
    assert.deepEqual(mat.dataInfo, [
      [0, 2, 2, 2],
      [1, 2, 3, 4],
      [0, 0, 0, 0],
      [-1, -1, -1, -1],
    ]);
    assert.deepEqual(mat.data_1, [[0, 2]]);
    // data_2 row k is variable k; every value equals the CSV's (the same doubles, both printed shortest).
    assert.equal(mat.data_2.length, csv.names.length);
    csv.names.forEach((name, k) => {
      const fromMat = (mat.data_2[k] as string[]).map(Number);
      const fromCsv = (csv.cols[name] as string[]).map(Number);
      assert.equal(fromMat.length, fromCsv.length, name);
      // CSV times on the grid are printed without float noise: compare those to 1e-12.
      fromMat.forEach((v, i) =>
        k === 0 ? assert.ok(Math.abs(v - (fromCsv[i] as number)) < 1e-12) : assert.equal(v, fromCsv[i], `${name}[${i}]`),
      );
    });
    assert.ok((output.event_times ?? []).length > 0, 'the run has events (rows recorded twice at the same time)');
  });

  it('Feedthrough: a fixed parameter goes to data_1, String columns are left out', async () => {
    const runId = await feedthroughRun();
    const path = join(tmp, 'ft.mat');
    writeFileSync(path, await drain(await ctx.results.matStream(runId)));
    const script = `
import json, sys, scipy.io
m = scipy.io.loadmat(sys.argv[1], chars_as_strings=False)
print(json.dumps({'names': [''.join(c).rstrip() for c in m['name'].T], 'dataInfo': m['dataInfo'].tolist(), 'data_1': m['data_1'].tolist(), 'rows2': m['data_2'].shape[0]}))`;
    const r = spawnSync(python as string, ['-c', script, path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const mat = JSON.parse(r.stdout) as { names: string[]; dataInfo: number[][]; data_1: number[][]; rows2: number };
    assert.ok(!mat.names.includes('String_output'));
    const p = mat.names.indexOf('Int64_parameter');
    assert.equal(mat.dataInfo[0]?.[p], 1, 'Int64_parameter is in data_1');
    const row = (mat.dataInfo[1]?.[p] as number) - 1;
    assert.deepEqual(mat.data_1[row], [2 ** 63, 2 ** 63]); // the nearest double of 2^63 − 1, at start and end
    assert.equal(mat.rows2, mat.names.length - 1, 'data_2: time and every other column but the parameter');
  });
});
