/**
 * The catalog of the real library build: `npm run build`'s buildLibrary (up-to-date models are
 * skipped, so this is quick after the first build), then every msl: id resolved for FMI 2.0 and
 * 3.0, opened with src/fmi/archive.ts, and checked against its catalog entry; one model is
 * simulated end to end from its id.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { openFmu } from '../../src/fmi/archive.ts';
import { loadCatalog } from '../../src/library/catalog.ts';
import type { Catalog } from '../../src/library/catalog.ts';
import { buildLibrary } from '../../tools/build-library.ts';

let catalog: Catalog;
let cacheDir: string;

before(async () => {
  const r = await buildLibrary({ log: () => {} });
  assert.deepEqual(
    r.failed.map((f) => `${f.model}: ${f.error.message}`),
    [],
  );
  catalog = loadCatalog();
  cacheDir = mkdtempSync(join(tmpdir(), 'fmugw-libcat-'));
});
after(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('catalog of the built library', () => {
  it('lists all 13 models with both FMI versions and both interfaces', () => {
    const names = catalog.list(undefined, 100).map((e) => e.name);
    for (const n of [
      'Dahlquist',
      'BouncingBall',
      'Stair',
      'VanDerPol',
      'Feedthrough',
      'SpringMassDamper',
      'RLC',
      'DCMotor',
      'Pendulum',
      'ThermalMass',
      'TankLevel',
      'FuelRail',
      'QuarterCar',
    ]) {
      assert.ok(names.includes(n), `${n} missing from ${names.join(', ')}`);
    }
    for (const e of catalog.list(undefined, 100)) {
      assert.deepEqual([...e.fmi_versions].sort(), ['2.0', '3.0'], e.name);
      assert.deepEqual([...e.interfaces].sort(), ['CS', 'ME'], e.name);
      assert.ok(e.description.length > 20 && e.equations.length > 0 && e.tags.length > 0, e.name);
      assert.ok(e.reference.text.length > 20, e.name);
      assert.ok(e.default_experiment.stop_time !== undefined && e.default_experiment.stop_time > 0, e.name);
    }
  });

  it('resolves every id to an FMU whose model description agrees with the entry', () => {
    for (const e of catalog.list(undefined, 100)) {
      for (const v of ['2.0', '3.0'] as const) {
        const { entry, fmuPath } = catalog.resolve(e.id, v);
        const fmu = openFmu({ path: fmuPath }, { cacheDir });
        const md = fmu.modelDescription;
        assert.equal(md.fmi_version, v);
        assert.equal(md.model_name, entry.name);
        assert.ok(md.co_simulation && md.model_exchange, `${e.id} ${v} offers CS and ME`);
        const count = (c: string): number => md.variables.filter((x) => x.causality === c).length;
        assert.deepEqual(
          { inputs: count('input'), outputs: count('output'), parameters: count('parameter') },
          v === '2.0' && entry.name === 'Feedthrough'
            ? // FMI 2 has no Binary type: the Feedthrough FMI 2 build leaves its 3 Binary variables out.
              { inputs: entry.counts.inputs - 1, outputs: entry.counts.outputs - 1, parameters: entry.counts.parameters - 1 }
            : entry.counts,
          `${e.id} FMI ${v}`,
        );
        for (const p of entry.parameters.filter((x) => x.unit !== undefined)) {
          assert.equal(md.variables.find((x) => x.name === p.name)?.unit, p.unit, `${e.id} ${p.name} unit`);
        }
      }
    }
  });

  it('simulates msl:ThermalMass from its id with the default experiment', () => {
    const { entry, fmuPath } = catalog.resolve('msl:ThermalMass');
    const fmu = openFmu({ path: fmuPath }, { cacheDir });
    const r = runSimulation(fmu, { startTime: 0, stopTime: entry.default_experiment.stop_time ?? 1, outputInterval: 10 });
    const T = r.columns.find((c) => c.name === 'T')?.values as Float64Array;
    // T(500 s) = 343.15 − 50·e^−5 (closed form, tau = 100 s).
    assert.ok(Math.abs((T.at(-1) as number) - (343.15 - 50 * Math.exp(-5))) < 1e-6);
  });
});
