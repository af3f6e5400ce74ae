/**
 * Export of a 1e6-row result in every format, in one run, beside CSV: time to render and write
 * the file from the stored columnar result, and its size. Columns: time, three Float64 signals, an
 * Int32 counter, an exact Int64 and a Boolean (the shapes a library model records).
 * Also the two Parquet writers measured for the choice (parquet-wasm, shipped; hyparquet-writer,
 * a devDependency kept for this comparison), and a plot drawn from every row (report/).
 * BENCH_ROWS changes the size; best of RUNS.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadavg } from 'node:os';
import type { SimulationResult } from '../src/engine/types.ts';
import { plotStoredRun } from '../src/report/result-chart.ts';
import { createRunResultStore, newRunId } from '../src/store/run-result-store.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-formats-'));
const store = createRunResultStore(dir);

const step = 0.001;
const time = Float64Array.from({ length: ROWS }, (_, i) => i * step);
const f = (g: (t: number) => number) => Float64Array.from(time, g);
const counter = f((t) => Math.floor(t / 7));
const exact = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i) * 9_000_000_000_000n - 4_000_000_000_000_000_000n);
const result: Pick<SimulationResult, 'rows' | 'time' | 'columns' | 'eventRows' | 'resultFile'> = {
  rows: ROWS,
  time,
  columns: [
    { name: 'x', type: 'Float64', unit: 'm', values: f((t) => Math.exp(-t / 300) * Math.sin(t)) },
    { name: 'v', type: 'Float64', unit: 'm/s', values: f((t) => Math.cos(3 * t) + 0.001 * Math.sin(1000 * t)) },
    { name: 'a', type: 'Float64', unit: 'm/s2', values: f((t) => (t % 10 < 5 ? 1 : -1) * Math.sqrt(t)) },
    { name: 'n', type: 'Int32', values: counter },
    { name: 'id', type: 'Int64', values: Float64Array.from(exact, Number), exact },
    { name: 'on', type: 'Boolean', values: f((t) => (Math.floor(t / 13) % 2 === 0 ? 1 : 0)) },
  ],
};
const runId = newRunId();
await store.save(runId, result, {
  provenance: { start_time: 0, stop_time: (ROWS - 1) * step, step, model_name: 'bench' },
  columns: result.columns.map((c) => ({
    name: c.name,
    type: c.type,
    unit: c.unit,
    description: `${c.name} of the bench`,
    causality: 'output',
    variability: 'continuous',
  })),
});

async function best(label: string, write: (path: string) => Promise<void>, ext: string, baseline?: number): Promise<number> {
  const path = join(dir, `out.${ext}`);
  let ms = Infinity;
  for (let r = 0; r < RUNS; r++) {
    rmSync(path, { force: true });
    const t0 = performance.now();
    await write(path);
    ms = Math.min(ms, performance.now() - t0);
  }
  const bytes = statSync(path).size;
  const rel = baseline === undefined ? '' : `  (${(ms / baseline).toFixed(2)}x CSV's time)`;
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${(bytes / 1e6).toFixed(1).padStart(6)} MB  ${(ms / (ROWS / 1e6)).toFixed(0)} ms per 1e6 rows${rel}`,
  );
  return ms;
}

console.log(
  `${ROWS} rows x 7 columns (time, 3 Float64, Int32, Int64, Boolean); best of ${RUNS}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const csv = await best('CSV (baseline)', async (p) => pipeline(await store.csvStream(runId), createWriteStream(p)), 'csv');
await best('Arrow IPC file', async (p) => pipeline(await store.arrowStream(runId), createWriteStream(p)), 'arrow', csv);
await best('MAT v4 (dsres)', async (p) => pipeline(await store.matStream(runId), createWriteStream(p)), 'mat', csv);
await best('Parquet, parquet-wasm SNAPPY (used)', async (p) => writeFileSync(p, await store.parquetBytes(runId)), 'parquet', csv);

// The alternative measured for the choice: hyparquet-writer (pure JS), same columns and types.
try {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const file = await store.open(runId);
  const cols = await Promise.all(result.columns.map((_, i) => file.readColumn(i)));
  const t = await file.readTime();
  await file.close();
  await best(
    'Parquet, hyparquet-writer SNAPPY',
    async (p) => {
      const buf = parquetWriteBuffer({
        columnData: [
          { name: 'time', data: t, type: 'DOUBLE', nullable: false },
          { name: 'x', data: cols[0] as Float64Array, type: 'DOUBLE', nullable: false },
          { name: 'v', data: cols[1] as Float64Array, type: 'DOUBLE', nullable: false },
          { name: 'a', data: cols[2] as Float64Array, type: 'DOUBLE', nullable: false },
          { name: 'n', data: Int32Array.from(cols[3] as Float64Array), type: 'INT32', nullable: false },
          { name: 'id', data: cols[4] as BigInt64Array, type: 'INT64', nullable: false },
          { name: 'on', data: Array.from(cols[5] as Float64Array, (b) => b !== 0), type: 'BOOLEAN', nullable: false },
        ],
        rowGroupSize: 131_072,
      });
      writeFileSync(p, new Uint8Array(buf));
    },
    'hy.parquet',
    csv,
  );
} catch (e) {
  console.log(`hyparquet-writer: not measured (${e instanceof Error ? e.message : String(e)})`);
}

await best(
  'Plot PNG from every row (800 px)',
  async (p) => writeFileSync(p, await plotStoredRun(store, runId, { title: 'bench' })),
  'png',
  csv,
);
rmSync(dir, { recursive: true, force: true });
