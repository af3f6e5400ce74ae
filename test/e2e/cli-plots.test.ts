/**
 * Plots drawn from the full result, through the real CLI (`fmu-gateway run`):
 * - QuarterCar with the road stepping 5 cm at t = 1 s: in plot.png the tyre force stays on its
 *   zero line left of the step (a chart drawn from a downsampled series ramps up before it), and
 *   leaves it right after (positive control); the renderer's envelope columns agree.
 * - BouncingBall: the bounce counter is drawn as steps (horizontal and vertical strokes only),
 *   the velocity is not (positive control), and `resting` gets the false/true axis.
 * - `simulate --mat / --parquet` write the files (their content is checked by
 *   test/integration/result-formats.test.ts).
 * - `simulate --set 'A=[[…],[…]]'` passes an FMI 3 array start value (the StateSpace fixture):
 *   the recorded matrix elements and the states follow the closed form x(t) = e^(A·t)·x0.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CHART_MARGIN, plotAreaWidth, renderSvg } from '../../src/report/chart.ts';
import { chartOfResult } from '../../src/report/result-chart.ts';
import { exportInfoOf } from '../../src/store/result-columns.ts';
import { createRunResultStore } from '../../src/store/run-result-store.ts';
import { buildFixture } from '../helpers/fixtures.ts';
import { decodePng } from '../helpers/png-pixels.ts';
import { BIN } from './mcp-harness.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'fmu-cli-plots-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, FMU_GATEWAY_DATA_DIR: dataDir, FMU_GATEWAY_POOL_SIZE: '1' };

async function cli(args: string[]): Promise<string> {
  const r = await run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  return r.stdout;
}

const STEP_TIME = 1;
const STOP = 3;
/** The first series color of the renderer (#1f77b4). */
const BLUE: [number, number, number] = [0x1f, 0x77, 0xb4];
const near = (c: [number, number, number], ref: [number, number, number]) => Math.hypot(c[0] - ref[0], c[1] - ref[1], c[2] - ref[2]) < 60;

describe('plots from the full result (CLI run)', () => {
  it('QuarterCar: no tyre force is drawn before the road step', async () => {
    const road = join(dataDir, 'road.csv');
    writeFileSync(road, `time,z_r\n0,0\n${STEP_TIME},0\n${STEP_TIME},0.05\n${STOP},0.05\n`);
    const out = join(dataDir, 'qc');
    await cli(['run', 'msl:QuarterCar', '--input', road, '--stop', String(STOP), '--output', 'F_tire', '--out', out]);
    const png = decodePng(readFileSync(join(out, 'plot.png')));
    assert.equal(png.width, 800);
    const left = CHART_MARGIN.left;
    const right = left + plotAreaWidth(800);
    // The series' pixels, column by column, inside the plot area (the legend's sample is outside).
    const ysAt = (x: number): number[] => {
      const ys: number[] = [];
      for (let y = CHART_MARGIN.top; y < png.height - CHART_MARGIN.bottom; y++) if (near(png.rgb(x, y), BLUE)) ys.push(y);
      return ys;
    };
    const zeroLine = ysAt(left + 5);
    assert.ok(zeroLine.length > 0 && zeroLine.length <= 4, `the force starts as a thin line (${zeroLine.length} px)`);
    const y0 = zeroLine[0] as number;
    const xStep = left + ((STEP_TIME - 0) / (STOP - 0)) * (right - left);
    for (let x = left + 2; x < xStep - 2; x++) {
      for (const y of ysAt(x))
        assert.ok(Math.abs(y - y0) <= 3, `force drawn at y=${y} (zero line ${y0}) at x=${x}, before the step at x=${xStep.toFixed(1)}`);
    }
    // Positive control: right after the step the line leaves the zero line by far.
    let maxAfter = 0;
    for (let x = Math.ceil(xStep); x < xStep + 15; x++) for (const y of ysAt(x)) maxAfter = Math.max(maxAfter, Math.abs(y - y0));
    assert.ok(maxAfter > 50, `the step is drawn (${maxAfter} px)`);

    // The renderer's intermediate columns of the same stored run: zero in every column before the step.
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { run_id: string };
    const store = createRunResultStore(dataDir);
    const file = await store.open(summary.run_id);
    const chart = await chartOfResult(file, { title: 'qc', info: exportInfoOf(store.readMeta(summary.run_id)) }).finally(() =>
      file.close(),
    );
    const env0 = chart.series.find((s) => s.name === 'F_tire')?.envelope;
    assert.ok(env0 !== undefined);
    const width = (env0.t1 - env0.t0) / env0.pixels;
    let before = 0;
    for (let c = 0; c < env0.pixels; c++) {
      if (env0.t0 + (c + 1) * width > STEP_TIME) break;
      before++;
      assert.equal(env0.min[c], 0);
      assert.equal(env0.max[c], 0);
    }
    assert.ok(before > 100, `${before} columns before the step`);
    assert.ok(Math.max(...env0.max) > 5000, 'the full-result peak (≈ k_t·5 cm = 8 kN) is kept');
  });

  it('BouncingBall: the bounce counter is drawn as steps, the Boolean on a false/true axis', async () => {
    const out = join(dataDir, 'bb');
    await cli(['run', 'msl:BouncingBall', '--stop', '3', '--out', out]);
    assert.ok(existsSync(join(out, 'plot.png')));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { run_id: string };
    const store = createRunResultStore(dataDir);
    const file = await store.open(summary.run_id);
    const chart = await chartOfResult(file, { title: 'bb', info: exportInfoOf(store.readMeta(summary.run_id)) }).finally(() =>
      file.close(),
    );
    assert.equal(chart.series.find((s) => s.name === 'bounces')?.step, true);
    assert.equal(chart.series.find((s) => s.name === 'resting')?.boolean, true);
    const svg = renderSvg(chart);
    assert.match(svg, />false</);
    assert.match(svg, />true</);
    const pathOf = (name: string): [number, number][] => {
      // Legend entries follow their series' path: find the path drawn just before the legend text.
      const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*\/>\n<line[^>]*\/>\n<text[^>]*>([^<]+)</g)];
      const d = paths.find((m) => m[2] === name || m[2]?.startsWith(`${name} (`))?.[1];
      assert.ok(d !== undefined, `a path for ${name}`);
      return [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    };
    const diagonal = (pts: [number, number][]) => pts.slice(1).filter(([x, y], i) => x !== pts[i]?.[0] && y !== pts[i]?.[1]).length;
    const bounces = pathOf('bounces');
    assert.ok(bounces.length > 10);
    assert.equal(diagonal(bounces), 0, 'every stroke of the counter is horizontal or vertical');
    assert.ok(diagonal(pathOf('v')) > 20, 'the velocity is drawn as a line (positive control)');
  });

  it('simulate --mat and --parquet write the files', async () => {
    const mat = join(dataDir, 'bb.mat');
    const parquet = join(dataDir, 'bb.parquet');
    await cli(['simulate', 'msl:BouncingBall', '--stop', '1', '--mat', mat, '--parquet', parquet]);
    const m = readFileSync(mat);
    assert.equal(m.readInt32LE(0), 51, 'Aclass is a text matrix first');
    assert.equal(m.toString('latin1', 20, 26), 'Aclass');
    const p = readFileSync(parquet);
    assert.equal(p.toString('latin1', 0, 4), 'PAR1');
    assert.equal(p.toString('latin1', p.length - 4), 'PAR1');
  });
});

describe('CLI --set with FMI 3 arrays', () => {
  it("passes --set 'A=[[-0.5,1],[0,-2]]' and 'x=[1,-1]' as arrays, not strings", async () => {
    const fmu = await buildFixture('state-space', '3.0', { handWritten: true });
    const out = await cli([
      'simulate',
      fmu,
      '--set',
      'A=[[-0.5,1],[0,-2]]',
      '--set',
      'x=[1, -1]',
      '--stop',
      '1',
      '--step',
      '0.1',
      '--output',
      'A[1,2],A[2,2],x[1],x[2]',
      '--json',
    ]);
    const series = (JSON.parse(out) as { series: Record<string, number[]> }).series;
    assert.ok(series['A[1,2]']?.every((v) => v === 1));
    assert.ok(series['A[2,2]']?.every((v) => v === -2));
    // x' = A·x, A upper triangular [[a, b], [0, d]]: x2 = x2(0)·e^(d t), x1 = e^(a t)·x1(0) + b·(e^(a t) − e^(d t))/(a − d)·x2(0).
    const [a, b, d] = [-0.5, 1, -2];
    const t = 1;
    const x2 = -1 * Math.exp(d * t);
    const x1 = Math.exp(a * t) * 1 + ((b * (Math.exp(a * t) - Math.exp(d * t))) / (a - d)) * -1;
    const last = (n: string) => series[n]?.[series[n].length - 1] as number;
    assert.ok(Math.abs(last('x[2]') - x2) < 1e-3, `x[2](1) = ${last('x[2]')}, expected ${x2}`);
    assert.ok(Math.abs(last('x[1]') - x1) < 1e-3, `x[1](1) = ${last('x[1]')}, expected ${x1}`);
  });
});
