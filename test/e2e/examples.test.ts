/**
 * The runnable examples (examples/scavenge-pump, examples/fuel-rail), run by their one command as
 * a user would (`bash examples/NAME/run.sh OUT_DIR`), on a data folder of their own:
 * - the three files are written and the command exits 0 whatever the verdict;
 * - report.json's figures are the ones the models' documented equations give (model.json),
 *   computed here independently of the C models and of the report code;
 * - the pass/fail of every run against study.json's limits is what those equations predict, with
 *   passes and failures both present (the detector has its positive control);
 * - the Markdown's results and limits tables say what report.json says; report.png is a PNG chart.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Report, ReportLimit } from '../../src/schemas/report.ts';
import { decodePng } from '../helpers/png-pixels.ts';
import { markdownTables, shown } from '../helpers/report-markdown.ts';
import { gatewayEnv, ROOT } from './mcp-harness.ts';

const execFileP = promisify(execFile);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface ModelJson {
  variables: { name: string; start?: number }[];
}
/** The documented start values of a library model (its model.json), by name. */
function defaults(model: string): Record<string, number> {
  const json = JSON.parse(readFileSync(join(ROOT, 'library', 'models', model, 'model.json'), 'utf8')) as ModelJson;
  return Object.fromEntries(json.variables.filter((v) => typeof v.start === 'number').map((v) => [v.name, v.start as number]));
}

interface Study {
  limits: ReportLimit[];
  variables: string[];
}
const study = (name: string): Study => JSON.parse(readFileSync(join(ROOT, 'examples', name, 'study.json'), 'utf8')) as Study;

/** The example's one command, `bash examples/NAME/run.sh OUT`, in `dataDir`: exit code and stderr. */
async function runScript(name: string, out: string, dataDir: string): Promise<{ code: number; stderr: string }> {
  mkdirSync(dataDir, { recursive: true });
  return execFileP('bash', [join(ROOT, 'examples', name, 'run.sh'), out], { env: gatewayEnv(dataDir), cwd: dataDir }).then(
    (x) => ({ code: 0, stderr: x.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}

/** Runs the example's one command into `out`; its exit code, stderr and the three files. */
async function runExample(name: string, out: string, dataDir: string) {
  const r = await runScript(name, out, dataDir);
  assert.equal(r.code, 0, `${name}/run.sh exited ${r.code}: ${r.stderr}`);
  return {
    ...r,
    json: readFileSync(join(out, 'report.json'), 'utf8'),
    markdown: readFileSync(join(out, 'report.md'), 'utf8'),
    png: readFileSync(join(out, 'report.png')),
    pngSize: statSync(join(out, 'report.png')).size,
  };
}
type ExampleOutput = Awaited<ReturnType<typeof runExample>>;

const near = (actual: number | null | undefined, expected: number, rel: number, what: string): void => {
  assert.ok(typeof actual === 'number', `${what}: no value`);
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected} (rel. tol. ${rel})`);
};

/** The three files are there, the PNG is a chart, and the brief's tables say what the JSON says. */
function checkFiles(o: ExampleOutput, swept: string): Report {
  const report = JSON.parse(o.json) as Report;
  assert.ok(o.pngSize > 0);
  assert.ok(o.png.subarray(0, 8).equals(PNG_SIGNATURE), 'report.png starts with the PNG signature');
  const png = decodePng(o.png);
  assert.ok(png.width >= 400 && png.height >= 300, `${png.width}×${png.height}`);
  assert.deepEqual(report.chart.variables.slice().sort(), report.variables.map((v) => v.name).sort());

  const md = markdownTables(o.markdown);
  const results = md.get('Results');
  assert.ok(results !== undefined, [...md.keys()].join(', '));
  const unit = report.parameters.find((p) => p.name === swept)?.unit;
  assert.equal(results.header[1], `${swept} (${unit})`);
  assert.equal(results.rows.length, report.runs.length);
  let compared = 0;
  results.rows.forEach((cells, i) => {
    const run = report.runs[i] as Report['runs'][number];
    assert.equal(cells[0], String(run.index));
    assert.equal(cells[1], shown(run.parameters[swept] as number));
    results.header.slice(2, -2).forEach((h, k) => {
      const m = /^(\S+) (\S+) \((.+)\)$/.exec(h);
      assert.ok(m !== null, `header "${h}"`);
      const [, variable, kpi] = m as unknown as [string, string, string];
      assert.equal(cells[2 + k], shown(run.kpis[variable]?.[kpi]), `run ${i} ${h}`);
      compared++;
    });
    assert.equal(cells.at(-2), run.pass === true ? 'pass' : '**FAIL**');
    assert.equal(cells.at(-1), `\`${run.run_id}\``);
  });
  assert.ok(compared >= report.runs.length * report.variables.length, `${compared} figures compared`);
  assert.deepEqual(
    md.get('Limits')?.rows,
    report.limits.map((l) => [
      `${l.variable} ${l.kpi}`,
      l.unit ?? '',
      shown(l.min),
      shown(l.max),
      shown(l.worst),
      l.pass ? 'pass' : '**FAIL**',
    ]),
  );
  return report;
}

/** The limits the example asked for (study.json) are the ones judged, with their bounds. */
function checkLimitsAsked(report: Report, name: string): void {
  assert.deepEqual(
    report.limits.map((l) => ({ variable: l.variable, kpi: l.kpi, min: l.min, max: l.max })),
    study(name).limits.map((l) => ({ variable: l.variable, kpi: l.kpi, min: l.min, max: l.max })),
  );
}

const check = (report: Report, variable: string, kpi: string, runId: string): boolean | undefined =>
  report.limits.find((l) => l.variable === variable && l.kpi === kpi)?.checks.find((c) => c.run_id === runId)?.pass;

describe('runnable examples (examples/*/run.sh)', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fmu-examples-e2e-'));
  let scavenge: ExampleOutput;
  let fuel: ExampleOutput;
  after(() => rmSync(tmp, { recursive: true, force: true }));
  before(async () => {
    // One data folder for both, as a user's own; the output folders are new (run.sh creates them).
    scavenge = await runExample('scavenge-pump', join(tmp, 'out', 'scavenge pump'), join(tmp, 'data'));
    fuel = await runExample('fuel-rail', join(tmp, 'out', 'fuel-rail'), join(tmp, 'data'));
  });

  it('scavenge pump: three files, tables matching the JSON, margins from the closed form', () => {
    const report = checkFiles(scavenge, 'n_eng');
    checkLimitsAsked(report, 'scavenge-pump');
    assert.equal(report.kind, 'sweep');
    assert.equal(report.provenance.fmu_id, 'msl:ScavengePump');
    assert.deepEqual(
      report.runs.map((r) => r.parameters.n_eng),
      [2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000],
    );
    assert.equal(report.runs.filter((r) => r.status === 'completed').length, 8);
    assert.equal(report.variables.find((v) => v.name === 'capacity_margin')?.unit, '%');
    assert.equal(report.variables.find((v) => v.name === 'h_mm')?.unit, 'mm');
    assert.equal(report.parameters.find((p) => p.name === 'n_eng')?.unit, 'rpm');

    // model.json's equations, with its documented defaults.
    const d = defaults('ScavengePump');
    const stop = report.setup.stop_time;
    let passes = 0;
    let fails = 0;
    for (const run of report.runs) {
      const n = run.parameters.n_eng as number;
      const qFeed = Math.min(((d.D_feed as number) * n) / 60, d.q_relief as number);
      const eta = Math.max((d.eta_0 as number) * (1 - (n / (d.n_aer as number)) ** 2), 0);
      const qCap = (((d.D_scav as number) * (d.ratio as number) * n) / 60) * eta;
      const margin = (100 * (qCap - qFeed)) / qFeed;
      const k = run.kpis;
      // Algebraic outputs of a parameter: the same double arithmetic in another order, so equal
      // to rounding (1e-9 relative leaves room for nothing else); constant over the run.
      near(k.capacity_margin?.final, margin, 1e-9, `margin at ${n} rpm`);
      assert.equal(k.capacity_margin?.min, k.capacity_margin?.max);
      near(k.q_feed?.final, qFeed, 1e-9, `q_feed at ${n} rpm`);
      near(k.q_cap?.final, qCap, 1e-9, `q_cap at ${n} rpm`);
      const h0mm = (d.h as number) * 1000;
      if (margin >= 10) {
        // Steady level h = -h_pick·ln(1 - q_feed/q_cap). The slowest linearised sump time constant
        // on this grid is A_sump·h_pick/(q_cap - q_feed) = 1.16 s (7000 rpm), the hold-up's is 0.5 s:
        // the last 10 % of the run (the `settle` window, from 9 s) is ≥ 7.7 of them in, so what is
        // left of the 10 mm start offset is < 1e-3·10 mm; 0.5 % of a level ≥ 6 mm covers it.
        const hSteadyMm = -(d.h_pick as number) * Math.log(1 - qFeed / qCap) * 1000;
        near(k.h_mm?.settle, hSteadyMm, 5e-3, `steady sump level at ${n} rpm`);
        // Below its 30 mm start: the level only falls, so its max is the initial level.
        assert.ok(hSteadyMm < h0mm);
        near(k.h_mm?.max, h0mm, 1e-9, `max level at ${n} rpm`);
      }
      if (margin < 0) {
        // Flooding: with the pickup deep under oil the level rises at (q_feed - q_cap)/A_sump, plus
        // q_cap·e^(-h/h_pick)/A_sump for the pickup's shortfall: 0.5 % more at 8000 rpm (h ≈ 76 mm),
        // nothing at 9000; 1 % covers it. `settle` is the mean over the last 10 % of the run, i.e.
        // on a straight line the value 5 % of the run before the end.
        const rateMmPerS = ((qFeed - qCap) / (d.A_sump as number)) * 1000;
        const measured = ((k.h_mm?.final as number) - (k.h_mm?.settle as number)) / (0.05 * (stop - report.setup.start_time));
        near(measured, rateMmPerS, 1e-2, `flooding rate at ${n} rpm`);
      }
      // The verdicts the equations predict for study.json's limits (margin ≥ 20 %, level ≤ 50 mm):
      // with a positive margin the level stays at or under its 30 mm start; with a negative one it
      // rises by ≥ 6 mm/s for most of 10 s, far past 50 mm.
      const marginOk = margin >= 20;
      const levelOk = margin > 0;
      assert.equal(check(report, 'capacity_margin', 'min', run.run_id), marginOk, `margin verdict at ${n} rpm`);
      assert.equal(check(report, 'h_mm', 'max', run.run_id), levelOk, `level verdict at ${n} rpm`);
      assert.equal(run.pass, marginOk && levelOk);
      if (run.pass === true) passes++;
      else fails++;
    }
    // Positive control: both verdicts occur on this grid.
    assert.ok(passes >= 1 && fails >= 1, `${passes} passes, ${fails} fails`);
    assert.equal(report.verdict, 'fail');
    assert.match(scavenge.markdown, /FAIL: capacity\\_margin min ≥ 20 %: missed by 3 of 8 runs/);
    assert.match(scavenge.markdown, /Met for n\\_eng in 2000 … 6000 rpm; missed at 7000, 8000, 9000/);
    assert.match(scavenge.stderr, /Scavenge pump capacity over engine speed: FAIL/);
  });

  it('fuel rail: three files, tables matching the JSON, pressures from the orifice law', () => {
    const report = checkFiles(fuel, 'duty');
    checkLimitsAsked(report, 'fuel-rail');
    assert.equal(report.provenance.fmu_id, 'msl:FuelRail');
    assert.deepEqual(
      report.runs.map((r) => r.parameters.duty),
      [0.08, 0.09, 0.1, 0.11, 0.12],
    );
    assert.equal(report.variables.find((v) => v.name === 'p_bar')?.unit, 'bar');
    assert.equal(report.variables.find((v) => v.name === 'q_inj')?.unit, 'm3/s');

    const d = defaults('FuelRail');
    const [rho, qPump, nInj, cd, aInj, beta, vRail, p0] = ['rho', 'q_pump', 'n_inj', 'Cd', 'A_inj', 'beta', 'V_rail', 'p'].map((k) => {
      assert.equal(typeof d[k], 'number', `model.json documents ${k}`);
      return d[k] as number;
    }) as [number, number, number, number, number, number, number, number];
    const p0Bar = p0 / 1e5;
    const [bandMin, bandMax] = [100, 150];
    let passes = 0;
    let fails = 0;
    for (const run of report.runs) {
      const duty = run.parameters.duty as number;
      const pSsBar = ((rho / 2) * (qPump / (nInj * cd * aInj * duty)) ** 2) / 1e5;
      // Linearised time constant 2·p_ss·V_rail/(beta·q_pump) ≤ 0.38 s here (duty 0.08); the
      // settle window starts at 2.7 s ≥ 7 of them in, leaving < 1e-3·(p_ss − p0)/p_ss ≈ 7e-4 of
      // p_ss: a 1e-3 relative tolerance.
      const tau = (2 * pSsBar * 1e5 * vRail) / (beta * qPump);
      assert.ok(tau < 0.38 && 0.9 * report.setup.stop_time > 7 * tau, `tau ${tau}`);
      near(run.kpis.p_bar?.settle, pSsBar, 1e-3, `steady rail pressure at duty ${duty}`);
      near(run.kpis.p_bar?.final, pSsBar, 1e-3, `final rail pressure at duty ${duty}`);
      // Mass balance at steady state: the injectors pass what the pump delivers.
      near(run.kpis.q_inj?.settle, qPump, 1e-3, `injector flow at duty ${duty}`);
      // First order from the 50 bar start, no overshoot: min is the start, max the end.
      near(run.kpis.p_bar?.min, p0Bar, 1e-9, `initial pressure at duty ${duty}`);
      const settleOk = pSsBar >= bandMin && pSsBar <= bandMax;
      assert.ok(Math.abs(pSsBar - bandMin) / bandMin > 5e-3 && Math.abs(pSsBar - bandMax) / bandMax > 5e-3, 'no point on a band edge');
      assert.equal(check(report, 'p_bar', 'settle', run.run_id), settleOk, `band verdict at duty ${duty}`);
      assert.equal(check(report, 'p_bar', 'max', run.run_id), pSsBar <= 200, `relief verdict at duty ${duty}`);
      assert.equal(run.pass, settleOk && pSsBar <= 200);
      if (run.pass === true) passes++;
      else fails++;
    }
    assert.ok(passes >= 1 && fails >= 1, `${passes} passes, ${fails} fails`);
    assert.equal(report.verdict, 'fail');
    assert.equal(report.limits.find((l) => l.kpi === 'max')?.pass, true);
    assert.match(fuel.markdown, /PASS: p\\_bar max ≤ 200 bar: met by all 5 runs/);
  });

  it('exits non-zero with a coded error, writing nothing, when OUT_DIR cannot be a folder', async () => {
    // The runs above exit 0 (positive control); here OUT_DIR lies under a regular file.
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep\n');
    const r = await runScript('fuel-rail', join(file, 'report'), join(tmp, 'data'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error \[BAD_REQUEST\]: --out .*cannot be created as a folder \(ENOTDIR\)/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.equal(readFileSync(file, 'utf8'), 'keep\n');
  });
});
