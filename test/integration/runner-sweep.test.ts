/**
 * Sweeps through the real worker pool on a compiled FMU (exponential decay, closed form
 * x(t) = exp(-k t)), progress of single runs, and the `fmu-gateway sweep` command end to end.
 */
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { SimulationJob, WorkerPool } from '../../src/runner/types.ts';
import { sweep } from '../../src/service/sweep.ts';
import type { SweepSuccess } from '../../src/schemas/simulate.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('sweeps through the worker pool', () => {
  let dir: string;
  let fmuPath: string;
  let fmu: OpenedFmu;
  let pool: WorkerPool;
  let job: SimulationJob;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-sweep-'));
    fmuPath = join(dir, 'decay.fmu');
    await buildFmu({ modelDir: join(ROOT, 'test', 'fixtures', 'hostile', 'control'), fmiVersion: '3.0', outFile: fmuPath });
    fmu = openFmu({ path: fmuPath }, { cacheDir: join(dir, 'cache') });
    pool = createWorkerPool({ size: 2, timeoutMs: 5000, cacheDir: join(dir, 'cache') });
    job = {
      fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
      options: { startTime: 0, stopTime: 1, outputInterval: 0.01, interface: 'CS' },
    };
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every grid combination and matches the closed form per run', async () => {
    const progress: number[] = [];
    const r = await sweep(
      pool,
      job,
      { parameters: { k: [0.5, 1, 1.5, 2, 2.5, 3] } },
      { kpis: ['x_min'], onProgress: (d) => void progress.push(d) },
    );
    assert.equal(r.total, 6);
    assert.equal(r.completed, 6);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
    for (const run of r.runs) {
      const k = run.start_values.k as number;
      // RK4 inside the FMU at h = 0.01: error far below 1e-6 for k ≤ 3.
      assert.ok(Math.abs((run.final?.x as number) - Math.exp(-k)) < 1e-6, `k=${k}: x(1)=${run.final?.x}`);
      assert.ok(Math.abs((run.kpis?.x_min as number) - Math.exp(-k)) < 1e-6);
      assert.ok(Math.abs((run.summary?.x?.max as number) - 1) < 1e-12);
    }
  });

  it('records a failing run with its error and completes the others', async () => {
    const r = await sweep(pool, job, { runs: [{ k: 1 }, { k: 'not a number' }, { nonexistent_param: 1 }, { k: 2 }] });
    assert.equal(r.completed, 2);
    assert.equal(r.failed, 2);
    assert.equal(r.runs[0]?.status, 'completed');
    assert.equal(r.runs[1]?.status, 'failed');
    assert.ok(r.runs[1]?.error?.code !== undefined && r.runs[1].error.code !== 'INTERNAL', JSON.stringify(r.runs[1]?.error));
    assert.equal(r.runs[2]?.error?.code, 'UNKNOWN_VARIABLE');
    assert.ok(Math.abs((r.runs[3]?.final?.x as number) - Math.exp(-2)) < 1e-6);
  });

  it('rejects an unknown KPI before running anything', async () => {
    await assert.rejects(
      sweep(pool, job, { parameters: { k: [1, 2] } }, { kpis: ['nope_max'] }),
      (e: unknown) => (e as { code: string }).code === 'UNKNOWN_VARIABLE',
    );
  });

  it('marks the remaining runs CANCELLED when the sweep is aborted', async () => {
    const ac = new AbortController();
    const p = sweep(
      pool,
      job,
      { parameters: { k: Array.from({ length: 40 }, (_, i) => i / 10) } },
      {
        signal: ac.signal,
        concurrency: 2,
        onProgress: (d) => {
          if (d === 3) ac.abort();
        },
      },
    );
    const r = await p;
    assert.ok(r.completed >= 3 && r.completed < 40, `completed ${r.completed}`);
    assert.ok(r.runs.filter((x) => x.error?.code === 'CANCELLED').length >= 30);
  });

  it('reports progress of a single run as fractions of simulated time', async () => {
    const fractions: number[] = [];
    await pool.run(
      { ...job, options: { ...job.options, stopTime: 200, outputInterval: 0.001 } },
      { onProgress: (f) => void fractions.push(f) },
    );
    assert.ok(fractions.length >= 1);
    assert.ok(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= (fractions[i - 1] as number))));
    assert.equal(fractions[fractions.length - 1], 1);
  });

  it('runs `fmu-gateway sweep` with a range and prints JSON', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'bin', 'fmu-gateway.js'),
        'sweep',
        fmuPath,
        '--stop',
        '1',
        '--step',
        '0.1',
        '--set',
        'k=1:3:3',
        '--json',
        '--workers',
        '2',
      ],
      { env: { ...process.env, FMU_GATEWAY_DATA_DIR: join(dir, 'data'), FMU_GATEWAY_CACHE_DIR: join(dir, 'cli-cache') }, timeout: 30_000 },
    );
    const r = JSON.parse(stdout) as SweepSuccess;
    assert.equal(r.completed, 3);
    assert.deepEqual(
      r.runs.map((x) => x.start_values.k),
      [1, 2, 3],
    );
    r.runs.forEach((x) => assert.ok(Math.abs((x.summary?.x?.final as number) - Math.exp(-(x.start_values.k as number))) < 1e-6));
  });
});
