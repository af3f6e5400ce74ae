/**
 * Engineering reports of a sweep, through the real faces:
 * - REST: a FuelRail sweep (POST /sweep, three rail volumes, a 2 ms injector-duty pulse at
 *   t = 0.517 s) → POST /v2/sweeps/{id}/report with limits → 201, links; GET report.json / .md /
 *   .png; another key gets 404 for the sweep and for the report.
 * - CLI: `fmu-gateway report SWEEP_ID --out DIR` on the same data folder writes the three files
 *   (exit 5: a limit failed).
 * - The Markdown's tables say exactly what the JSON says: every cell of the results, limits and
 *   parameters tables is parsed back and compared with the JSON value rendered by the one rule
 *   (6 significant digits).
 * - The numbers are right: the rail pressure settles at the orifice-law closed form.
 * - The PNG is drawn from the full result: the injector-flow spike lasts 2 of 2500 rows, so every
 *   50th row misses it (checked on the stored result), yet report.png draws it to the top of its
 *   panel at t = 0.517 s, and not elsewhere (positive control).
 * - MCP (stdio): `report` on a `sweep` answers the brief as text, the chart as an image and the
 *   verdict as structured content.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CHART_MARGIN, plotAreaWidth } from '../../src/report/chart.ts';
import type { Report } from '../../src/schemas/report.ts';
import { createRunResultStore } from '../../src/store/run-result-store.ts';
import { decodePng } from '../helpers/png-pixels.ts';
import { BIN, gatewayEnv, startHttpGateway, startStdioGateway, type HttpGateway } from './mcp-harness.ts';
import { markdownTables, shown } from '../helpers/report-markdown.ts';

const execFileP = promisify(execFile);
type Json = Record<string, unknown>;

async function call(base: string, method: string, path: string, opts: { key?: string; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(opts.json !== undefined ? { body: JSON.stringify(opts.json) } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type') ?? '', bytes, json: () => JSON.parse(bytes.toString('utf8')) as Json };
}

const STOP = 2.5;
const PULSE = 0.517;
const V_RAILS = [2e-5, 3e-5, 4e-5];
/** Steady rail pressure of the defaults (duty 0.1): (rho/2)·(q_pump/(n·Cd·A·duty))², in bar. */
const P_SS_BAR = ((750 / 2) * (2e-6 / (4 * 0.7 * 4e-8 * 0.1)) ** 2) / 1e5;

describe('engineering report of a sweep (REST, CLI)', { timeout: 300_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  let key = '';
  let sweepId = '';
  let created: Json;
  let restMarkdown = '';
  const out = mkdtempSync(join(tmpdir(), 'fmu-report-e2e-'));
  after(async () => {
    await gw?.close();
    rmSync(out, { recursive: true, force: true });
  });

  before(async () => {
    gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
    base = gw.url.replace(/\/mcp$/, '');
    key = (await call(base, 'POST', '/keys')).json().key as string;
    const started = await call(base, 'POST', '/sweep', {
      key,
      json: {
        base_request: {
          fmu_id: 'msl:FuelRail',
          stop_time: STOP,
          step: 0.001,
          outputs: ['p_bar', 'q_inj'],
          input_signals: [
            {
              name: 'duty',
              time: [0, PULSE, PULSE, PULSE + 0.002, PULSE + 0.002, STOP],
              values: [0.1, 0.1, 1, 1, 0.1, 0.1],
              interpolation: 'hold',
            },
          ],
        },
        sweep_parameters: [{ path: 'start_values.V_rail', values: V_RAILS }],
      },
    });
    assert.equal(started.status, 202, started.bytes.toString());
    sweepId = started.json().sweep_id as string;
    for (let i = 0; i < 600; i++) {
      const r = await call(base, 'GET', `/sweep/${sweepId}/results`, { key });
      if (r.json().status !== 'RUNNING') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const r = await call(base, 'POST', `/v2/sweeps/${sweepId}/report`, {
      key,
      json: {
        purpose: 'Does the rail hold 100–125 bar through an injector pulse, for every rail volume?',
        variables: ['p_bar', 'q_inj'],
        limits: [
          { variable: 'p_bar', kpi: 'max', max: 125 },
          { variable: 'p_bar', kpi: 'settle', min: 100, max: 125 },
          { variable: 'p_bar', kpi: 'min', min: 60 },
        ],
      },
    });
    assert.equal(r.status, 201, r.bytes.toString());
    created = r.json();
  });

  it('answers 201 with the report and links to its three files, readable only by its key', async () => {
    assert.equal(created.status, 'ok');
    const files = created.files as Record<string, string>;
    const report = created.report as Report;
    assert.equal(report.kind, 'sweep');
    assert.equal(report.id, sweepId);
    assert.equal(report.runs.length, 3);
    const json = await call(base, 'GET', files.json as string, { key });
    assert.equal(json.status, 200);
    assert.deepEqual(json.json(), report);
    const md = await call(base, 'GET', files.markdown as string, { key });
    assert.match(md.type, /text\/markdown/);
    restMarkdown = md.bytes.toString('utf8');
    assert.match(md.bytes.toString(), /^# FuelRail: sweep of V\\_rail \(3 runs\)/);
    const png = await call(base, 'GET', files.png as string, { key });
    assert.equal(png.type, 'image/png');
    assert.equal(decodePng(png.bytes).width, 800);
    // Another key: the sweep and the report are not there for it (its own 404s, no file).
    const other = (await call(base, 'POST', '/keys')).json().key as string;
    const foreign = await call(base, 'POST', `/v2/sweeps/${sweepId}/report`, { key: other, json: {} });
    assert.equal(foreign.status, 404);
    assert.equal((foreign.json().error as Json).code, 'NOT_FOUND');
    const foreignFile = await call(base, 'GET', files.png as string, { key: other });
    assert.equal(foreignFile.status, 404);
    assert.ok(!foreignFile.bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  });

  it('CLI report writes report.json, report.md and report.png; exit 5 when a limit fails', async () => {
    const dir = join(out, 'cli');
    const env = gatewayEnv(gw.dataDir);
    const r = await execFileP(
      process.execPath,
      [
        BIN,
        'report',
        sweepId,
        '--out',
        dir,
        '--variables',
        'p_bar,q_inj',
        '--limit',
        'p_bar.max<=125',
        '--limit',
        'p_bar.min>=60',
        '--limit',
        'p_bar.settle=100..125',
      ],
      {
        env,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    for (const f of ['report.json', 'report.md', 'report.png']) assert.ok(existsSync(join(dir, f)), `${f} written`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    // The initial pressure (50 bar) is below 60 bar: that limit fails in every run, the others pass.
    assert.equal(report.verdict, 'fail');
    assert.equal(r.code, 5, r.stderr);
    const byKpi = Object.fromEntries(report.limits.map((l) => [l.kpi, l]));
    assert.equal(byKpi.min?.pass, false);
    assert.equal(byKpi.min?.failing_runs.length, 3);
    assert.equal(byKpi.max?.pass, true);
    assert.equal(byKpi.settle?.pass, true);
    assert.deepEqual(
      { min: byKpi.settle?.min, max: byKpi.settle?.max },
      { min: 100, max: 125 },
      'the two bounds of one figure are one limit',
    );
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /FAIL: p\\_bar min ≥ 60 bar: missed by 3 of 3 runs/);
  });

  it("the brief's tables say exactly what report.json says (REST and CLI)", () => {
    checkTables(restMarkdown, created.report as Report);
    const cliDir = join(out, 'cli');
    checkTables(readFileSync(join(cliDir, 'report.md'), 'utf8'), JSON.parse(readFileSync(join(cliDir, 'report.json'), 'utf8')) as Report);
  });

  it('reports figures that match the closed form (rail pressure settles at the orifice-law value)', () => {
    const report = created.report as Report;
    assert.equal(report.variables.find((v) => v.name === 'p_bar')?.unit, 'bar');
    for (const run of report.runs) {
      const settle = run.kpis.p_bar?.settle as number;
      assert.ok(Math.abs(settle - P_SS_BAR) / P_SS_BAR < 2e-3, `settle ${settle} vs ${P_SS_BAR}`);
      // The pulse drains the rail: its lowest point after the start is the initial 50 bar.
      assert.ok(Math.abs((run.kpis.p_bar?.min as number) - 50) < 1e-9, `min ${run.kpis.p_bar?.min}`);
      assert.equal(run.kpis.p_bar?.time_of_min, 0);
    }
    assert.equal(report.provenance.fmu_id, 'msl:FuelRail');
    assert.match(report.provenance.fmu_sha256, /^[0-9a-f]{64}$/);
    assert.equal(report.provenance.sweep_id, sweepId);
    assert.equal(report.provenance.run_ids.length, 3);
    assert.equal(
      report.chart.rows,
      report.runs.reduce((n, r) => n + (r.rows ?? 0), 0),
    );
  });

  it('draws report.png from every stored row: the 2-row injector spike reaches the top of its panel', async () => {
    const report = created.report as Report;
    const runId = report.runs[0]?.run_id as string;
    // The spike is a full-resolution feature: every 50th row (a 50-point series) misses it.
    const store = createRunResultStore(gw.dataDir);
    const file = await store.open(runId);
    const time = await file.readTime();
    const q = (await file.readColumn(file.columns.findIndex((c) => c.name === 'q_inj'))) as Float64Array;
    await file.close();
    const full = Math.max(...q);
    const every50 = Math.max(...q.filter((_, i) => i % 50 === 0));
    const spikeRows = [...q].filter((v) => v > 0.5 * full).length;
    assert.ok(spikeRows >= 1 && spikeRows <= 4, `${spikeRows} spike rows`);
    assert.ok(every50 < 0.5 * full, `decimated max ${every50} vs full ${full}`);
    assert.equal(time.length, 2501);

    // A report charting q_inj alone: one panel filling the plot area.
    const r = await call(base, 'POST', `/v2/sweeps/${sweepId}/report`, { key, json: { variables: ['q_inj'] } });
    assert.equal(r.status, 201);
    const png = decodePng((await call(base, 'GET', (r.json().files as Record<string, string>).png as string, { key })).bytes);
    const top = CHART_MARGIN.top;
    const bottom = png.height - CHART_MARGIN.bottom;
    const width = plotAreaWidth(png.width);
    const COLORS: [number, number, number][] = [
      [0x1f, 0x77, 0xb4],
      [0xd6, 0x27, 0x28],
      [0x2c, 0xa0, 0x2c],
    ];
    const isSeries = (c: [number, number, number]) => COLORS.some((ref) => Math.hypot(c[0] - ref[0], c[1] - ref[1], c[2] - ref[2]) < 60);
    const topmost = (t: number): number => {
      const x0 = CHART_MARGIN.left + Math.floor((t / STOP) * width);
      let best = Infinity;
      for (let x = x0 - 1; x <= x0 + 1; x++) for (let y = top; y < bottom; y++) if (isSeries(png.rgb(x, y))) best = Math.min(best, y);
      return best;
    };
    const h = bottom - top;
    assert.ok(
      topmost(PULSE + 0.001) < top + 0.15 * h,
      `the spike column's line reaches y=${topmost(PULSE + 0.001)} (panel ${top}..${bottom})`,
    );
    // Positive control: away from the pulse the flow is low and drawn low.
    assert.ok(topmost(1.5) > top + 0.5 * h, `at t = 1.5 s the line is at y=${topmost(1.5)}`);
    assert.ok(topmost(1.5) < bottom, 'and is drawn at all');
  });
});

function checkTables(markdown: string, report: Report): void {
  const md = markdownTables(markdown);
  const results = md.get('Results');
  assert.ok(results !== undefined, [...md.keys()].join(', '));
  const header = results.header;
  assert.equal(header[0], '#');
  assert.equal(header[1], 'V_rail (m3)');
  assert.equal(results.rows.length, report.runs.length);
  let compared = 0;
  results.rows.forEach((cells, i) => {
    const run = report.runs[i] as Report['runs'][number];
    assert.equal(cells[0], String(run.index));
    assert.equal(cells[1], shown(run.parameters.V_rail as number));
    header.slice(2, -2).forEach((h, k) => {
      const m = /^(\S+) (\S+) \((.+)\)$/.exec(h);
      assert.ok(m !== null, `header "${h}"`);
      const [, variable, kpi, unit] = m as unknown as [string, string, string, string];
      const expectedUnit =
        kpi.startsWith('time_of') || kpi === 'settling_time' ? 's' : report.variables.find((v) => v.name === variable)?.unit;
      assert.equal(unit, expectedUnit, h);
      assert.equal(cells[2 + k], shown(run.kpis[variable]?.[kpi]), `run ${i} ${h}`);
      compared++;
    });
    assert.equal(cells.at(-2), run.pass === true ? 'pass' : '**FAIL**');
    assert.equal(cells.at(-1), `\`${run.run_id}\``);
  });
  assert.ok(compared >= 3 * 6, `${compared} figures compared`);
  const limits = md.get('Limits');
  assert.ok(limits !== undefined);
  assert.deepEqual(
    limits.rows,
    report.limits.map((l) => [
      `${l.variable} ${l.kpi}`,
      l.unit ?? '',
      shown(l.min),
      shown(l.max),
      shown(l.worst),
      l.pass ? 'pass' : '**FAIL**',
    ]),
  );
  const params = md.get('Parameters');
  assert.ok(params !== undefined);
  const swept = params.rows.find((r) => r[0] === 'V_rail');
  assert.deepEqual(swept?.slice(1, 4), ['m3', V_RAILS.map(shown).join(', '), 'swept']);
  for (const p of report.parameters) {
    const row: string[] | undefined = params.rows.find((r: string[]) => r[0] === p.name);
    assert.equal(row?.[2], p.values.map((v) => (typeof v === 'number' ? shown(v) : String(v))).join(', '), p.name);
  }
}

describe('MCP report (stdio)', { timeout: 180_000 }, () => {
  it('answers the brief as text, the chart as an image and the verdict as structured content', async () => {
    const gw = await startStdioGateway();
    try {
      const sweep = await gw.client.callTool({
        name: 'sweep',
        arguments: { fmu_id: 'msl:ScavengePump', stop_time: 10, step: 0.01, parameters: [{ name: 'n_eng', values: [4000, 6000, 8000] }] },
      });
      assert.notEqual(sweep.isError, true, JSON.stringify(sweep.content));
      const sweepId = (sweep.structuredContent as { sweep_id?: string }).sweep_id;
      assert.match(sweepId ?? '', /^[0-9a-f-]{36}$/);
      const r = (await gw.client.callTool({
        name: 'report',
        arguments: {
          id: sweepId,
          purpose: 'Scavenge capacity up to 8000 rpm',
          limits: [{ variable: 'capacity_margin', kpi: 'min', min: 20 }],
        },
      })) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      const s = r.structuredContent as { verdict: string; limits: { pass: boolean; worst: number }[]; findings: string[] };
      assert.equal(s.verdict, 'fail');
      // Closed form: margin = 100·(q_cap − q_feed)/q_feed = −10 % at 8000 rpm.
      assert.ok(Math.abs((s.limits[0]?.worst as number) + 10) < 1e-9, `worst ${s.limits[0]?.worst}`);
      const text = r.content
        .filter((c) => c.type === 'text')
        .map((c) => (c as { text: string }).text)
        .join('\n');
      assert.match(text, /## Results/);
      assert.match(text, /Met for n\\_eng in 4000 … 6000 rpm; missed at 8000/);
      const images = r.content.filter((c) => c.type === 'image') as { data: string; mimeType: string }[];
      assert.equal(images.length, 1);
      assert.equal(images[0]?.mimeType, 'image/png');
      assert.ok((images[0]?.data.length ?? 0) <= 25_000);
      // An unknown id is a coded error, not a crash.
      const missing = (await gw.client.callTool({ name: 'report', arguments: { id: 'r00000000-000000000000' } })) as CallToolResult;
      assert.equal(missing.isError, true);
      assert.equal((missing.structuredContent as { error: { code: string } }).error.code, 'NOT_FOUND');
    } finally {
      await gw.close();
    }
  });
});
