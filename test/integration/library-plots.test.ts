/**
 * The chart of every library model, as simulate draws it with its default experiment: a PNG is
 * produced, and no panel flattens a signal (each one spans at least MIN_SHARE of its panel's
 * range, or is constant). The PNGs can be kept for a look with FMU_GATEWAY_PLOT_DIR=<dir>.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { loadCatalog, type Catalog } from '../../src/library/catalog.ts';
import { silentLogger, type ServiceContext } from '../../src/service/context.ts';
import { createInProcessRunner } from '../../src/service/in-process-runner.ts';
import { layoutPanels, MIN_SHARE } from '../../src/report/chart.ts';
import { chartOfResult } from '../../src/report/result-chart.ts';
import { exportInfoOf } from '../../src/store/result-columns.ts';
import { simulate } from '../../src/service/simulate.ts';
import { createFmuFileStore } from '../../src/store/fmu-file-store.ts';
import { createRunResultStore } from '../../src/store/run-result-store.ts';
import { buildLibrary } from '../../tools/build-library.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
let catalog: Catalog;
let ctx: ServiceContext;
let dir: string;

before(async () => {
  await buildLibrary({ log: () => {} });
  catalog = loadCatalog();
  dir = mkdtempSync(join(tmpdir(), 'fmugw-plots-'));
  const config = loadConfig({ FMU_GATEWAY_DATA_DIR: dir });
  ctx = {
    config,
    catalog,
    fmuStore: createFmuFileStore(dir),
    results: createRunResultStore(dir),
    runner: createInProcessRunner(),
    logger: silentLogger,
  };
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('plots of the library models', () => {
  it('draws every model without flattening a signal', async () => {
    const keep = process.env.FMU_GATEWAY_PLOT_DIR;
    if (keep !== undefined) mkdirSync(keep, { recursive: true });
    const models = catalog.list(undefined, 100);
    assert.ok(models.length >= 13);
    for (const m of models) {
      const { plotPng } = await simulate(ctx, { fmu_id: `msl:${m.name}`, plot: true });
      assert.ok(plotPng !== undefined && plotPng.subarray(0, 4).equals(PNG), `${m.name}: a PNG`);
      if (keep !== undefined) writeFileSync(join(keep, `${m.name}.png`), plotPng);
      // The same envelopes the PNG was drawn from (every stored row), laid out the same way.
      const { output } = await simulate(ctx, { fmu_id: `msl:${m.name}` });
      const file = await ctx.results.open(output.run_id);
      const chart = await chartOfResult(file, { title: m.name, info: exportInfoOf(ctx.results.readMeta(output.run_id)) }).finally(() =>
        file.close(),
      );
      const { panels } = layoutPanels(chart);
      for (const p of panels) {
        const range = (p.range?.hi ?? 0) - (p.range?.lo ?? 0);
        for (const s of p.series) {
          const own = (s.range?.hi ?? 0) - (s.range?.lo ?? 0);
          assert.ok(own === 0 || own >= MIN_SHARE * range, `${m.name}: ${s.s.name} spans ${own} of its panel's ${range}`);
        }
      }
    }
  });
});
