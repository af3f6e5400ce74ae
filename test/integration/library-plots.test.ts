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
import { layoutPanels, MIN_SHARE } from '../../src/service/plot.ts';
import { plotSeries } from '../../src/service/simulate-result.ts';
import { simulate } from '../../src/service/simulate.ts';
import { createFmuFileStore } from '../../src/store/fmu-file-store.ts';
import { createRunResultStore } from '../../src/store/run-result-store.ts';
import { runSimulation } from '../../src/engine/run.ts';
import { openFmu } from '../../src/fmi/archive.ts';
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
      // The same series the PNG was drawn from, laid out the same way.
      const { fmuPath } = catalog.resolve(`msl:${m.name}`, '3.0');
      const fmu = openFmu({ path: fmuPath }, { cacheDir: join(dir, 'cache') });
      const de = fmu.modelDescription.default_experiment ?? {};
      const result = runSimulation(fmu, {
        startTime: de.start_time ?? 0,
        stopTime: de.stop_time ?? 1,
        outputInterval: de.step_size ?? 0.01,
      });
      const { panels } = layoutPanels({ title: m.name, ...plotSeries(result) });
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
