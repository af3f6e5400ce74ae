/**
 * The catalog over a catalog.json in a temporary folder, made from the real library/models/*\/model.json
 * the way tools/build-library.ts does (FMU files are empty placeholders: nothing is loaded here).
 * test/integration/library-catalog.test.ts covers the catalog of the real build.
 */
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import type { GatewayError } from '../../../src/errors.ts';
import { createCatalog, loadCatalog } from '../../../src/library/catalog.ts';
import { closeMatches, editDistance, rankEntries } from '../../../src/library/search.ts';
import { normalizeModel } from '../../../tools/fmu-builder.ts';

const MODELS = fileURLToPath(new URL('../../../library/models/', import.meta.url));
let dir: string;
let modelNames: string[];

function catalogEntries(): unknown[] {
  return modelNames.map((name) => {
    const raw: unknown = JSON.parse(readFileSync(join(MODELS, name, 'model.json'), 'utf8'));
    const model = normalizeModel(raw, name);
    const { variables: _v, $schema: _s, ...meta } = model.spec;
    return {
      id: `msl:${name}`, ...meta, fmi_versions: ['2.0', '3.0'], interfaces: ['ME', 'CS'],
      fmus: { '2.0': `${name}/${name}-fmi2.fmu`, '3.0': `${name}/${name}-fmi3.fmu` },
      variables: model.variables.map((v) => ({
        name: v.name, value_reference: v.vr, type: v.type, causality: v.causality, variability: v.variability,
        ...(v.start !== undefined ? { start: v.start } : {}), ...(v.unit ? { unit: v.unit } : {}),
      })),
    };
  });
}

function isCode(code: string) {
  return (e: unknown): e is GatewayError => {
    assert.ok(isGatewayError(e), `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

before(() => {
  modelNames = readdirSync(MODELS).filter((n) => {
    try { readFileSync(join(MODELS, n, 'model.json')); return true; } catch { return false; }
  }).sort();
  dir = mkdtempSync(join(tmpdir(), 'fmugw-catalog-'));
  for (const name of modelNames) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, `${name}-fmi2.fmu`), '');
    writeFileSync(join(dir, name, `${name}-fmi3.fmu`), '');
  }
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalogEntries()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('catalog over catalog.json', () => {
  it('lists at least 12 models, sorted by name, with ids, units and references', () => {
    const all = loadCatalog({ buildDir: dir }).list(undefined, 100);
    assert.ok(all.length >= 12, `only ${all.length} models`);
    assert.deepEqual(all.map((e) => e.name), [...all.map((e) => e.name)].sort((a, b) => a.localeCompare(b)));
    const smd = all.find((e) => e.id === 'msl:SpringMassDamper');
    assert.ok(smd);
    assert.deepEqual(smd.parameters.map((p) => [p.name, p.unit, p.start]), [['m', 'kg', 1], ['c', 'N.s/m', 0.4], ['k', 'N/m', 4]]);
    assert.deepEqual(smd.inputs.map((p) => p.name), ['F']);
    assert.deepEqual(smd.counts, { inputs: 1, outputs: 2, parameters: 3 });
    assert.equal(smd.reference.kind, 'closed_form');
    assert.ok(smd.equations.length >= 2 && smd.equations[0] === 'der(x) = v', 'equations split per line');
    assert.deepEqual(smd.interfaces, ['ME', 'CS']);
    assert.equal(smd.default_experiment.stop_time, 10);
  });

  it('applies the limit', () => {
    assert.equal(loadCatalog({ buildDir: dir }).list(undefined, 3).length, 3);
    assert.equal(loadCatalog({ buildDir: dir }).list('', 0).length, 0);
  });

  it('finds models by tag, case-insensitively', () => {
    const cat = loadCatalog({ buildDir: dir });
    const automotive = cat.list('AUTOMOTIVE').map((e) => e.name).sort();
    assert.deepEqual(automotive, ['FuelRail', 'QuarterCar', 'ScavengePump']);
    const electrical = cat.list('electrical').map((e) => e.name);
    assert.ok(electrical.includes('RLC') && electrical.includes('DCMotor'), electrical.join());
    assert.ok(cat.list('hydraulic').every((e) => e.tags.includes('hydraulic')));
  });

  it('ranks a name match above tag and description matches', () => {
    const cat = loadCatalog({ buildDir: dir });
    // "pendulum" is Pendulum's name and tag; no other model mentions it in its name.
    assert.equal(cat.list('pendulum')[0]?.name, 'Pendulum');
    // "ball" matches BouncingBall's name only; "oscillator" ranks tag matches, all of which are oscillators.
    assert.equal(cat.list('ball')[0]?.name, 'BouncingBall');
    assert.ok(cat.list('oscillator').length >= 3);
    assert.equal(cat.list('msl:DCMotor')[0]?.name, 'DCMotor');
  });

  it('requires every query word to match (AND)', () => {
    const cat = loadCatalog({ buildDir: dir });
    assert.deepEqual(cat.list('mechanical vibration').map((e) => e.name).sort(), ['QuarterCar', 'SpringMassDamper']);
    assert.deepEqual(cat.list('thermal zzzz'), []);
  });

  it('gets by name or id', () => {
    const cat = loadCatalog({ buildDir: dir });
    assert.equal(cat.get('RLC')?.id, 'msl:RLC');
    assert.equal(cat.get('msl:RLC')?.name, 'RLC');
    assert.equal(cat.get('Nope'), undefined);
  });

  it('resolves an id to the FMU of FMI 3.0 by default and of 2.0 on request', () => {
    const cat = loadCatalog({ buildDir: dir });
    assert.equal(cat.resolve('msl:TankLevel').fmuPath, join(dir, 'TankLevel', 'TankLevel-fmi3.fmu'));
    const r = cat.resolve('msl:TankLevel', '2.0');
    assert.equal(r.fmuPath, join(dir, 'TankLevel', 'TankLevel-fmi2.fmu'));
    assert.equal(r.entry.name, 'TankLevel');
  });

  it('rejects an unknown id with NOT_FOUND and close matches', () => {
    const cat = loadCatalog({ buildDir: dir });
    assert.throws(() => cat.resolve('msl:Pendulm'), (e: unknown) => {
      isCode('NOT_FOUND')(e);
      assert.deepEqual((e as GatewayError).data?.suggestions, ['msl:Pendulum']);
      assert.match((e as GatewayError).message, /msl:Pendulum/);
      return true;
    });
    assert.throws(() => cat.resolve('msl:pendulum'), (e: unknown) => isCode('NOT_FOUND')(e) && (e as GatewayError).data?.suggestions !== undefined);
    assert.throws(() => cat.resolve('Pendulum'), (e: unknown) => {
      isCode('NOT_FOUND')(e);
      assert.deepEqual((e as GatewayError).data?.suggestions, ['msl:Pendulum']);
      return true;
    });
    assert.throws(() => cat.resolve('msl:Zzzzzzzz'), (e: unknown) => isCode('NOT_FOUND')(e) && ((e as GatewayError).data?.suggestions as unknown[]).length === 0);
  });

  it('rejects a missing FMU file with NOT_FOUND telling to rebuild', () => {
    const cat = loadCatalog({ buildDir: dir });
    rmSync(join(dir, 'Stair', 'Stair-fmi2.fmu'));
    try {
      assert.throws(() => cat.resolve('msl:Stair', '2.0'), (e: unknown) => isCode('NOT_FOUND')(e) && /npm run build/.test((e as GatewayError).message));
    } finally {
      writeFileSync(join(dir, 'Stair', 'Stair-fmi2.fmu'), '');
    }
  });

  it('reads the catalog of the whole library in well under 50 ms', () => {
    loadCatalog({ buildDir: dir }); // warm the module-level imports (zod) once
    const t0 = performance.now();
    const cat = loadCatalog({ buildDir: dir });
    const ms = performance.now() - t0;
    assert.ok(cat.list().length >= 12);
    process.stderr.write(`  [measured] loadCatalog: ${ms.toFixed(2)} ms for ${cat.list(undefined, 1000).length} models\n`);
    assert.ok(ms < 50, `loadCatalog took ${ms} ms`);
  });
});

describe('catalog errors', () => {
  it('tells to run npm run build when the library is not built', () => {
    const empty = mkdtempSync(join(tmpdir(), 'fmugw-nocat-'));
    try {
      assert.throws(() => loadCatalog({ buildDir: empty }), (e: unknown) => {
        isCode('NOT_FOUND')(e);
        assert.match((e as GatewayError).message, /npm run build/);
        assert.equal((e as GatewayError).data?.reason, 'library_not_built');
        return true;
      });
      // createCatalog defers the read: construction succeeds, the first use throws.
      const lazy = createCatalog({ buildDir: empty });
      assert.throws(() => lazy.list(), isCode('NOT_FOUND'));
      assert.throws(() => lazy.resolve('msl:Dahlquist'), isCode('NOT_FOUND'));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('rejects a corrupt or mis-shaped catalog.json with INTERNAL and a rebuild hint', () => {
    const bad = mkdtempSync(join(tmpdir(), 'fmugw-badcat-'));
    try {
      writeFileSync(join(bad, 'catalog.json'), '{ not json');
      assert.throws(() => loadCatalog({ buildDir: bad }), (e: unknown) => isCode('INTERNAL')(e) && /--force/.test((e as GatewayError).message));
      writeFileSync(join(bad, 'catalog.json'), JSON.stringify([{ id: 'msl:X', name: 'X' }]));
      assert.throws(() => loadCatalog({ buildDir: bad }), isCode('INTERNAL'));
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('rejects an FMI version the model is not built for with BAD_REQUEST', () => {
    const only2 = mkdtempSync(join(tmpdir(), 'fmugw-only2-'));
    try {
      const entry = (catalogEntries().find((e) => (e as { name: string }).name === 'Dahlquist') as Record<string, unknown>);
      writeFileSync(join(only2, 'catalog.json'), JSON.stringify([{ ...entry, fmi_versions: ['2.0'], fmus: { '2.0': 'D.fmu' } }]));
      writeFileSync(join(only2, 'D.fmu'), '');
      const cat = loadCatalog({ buildDir: only2 });
      assert.equal(cat.resolve('msl:Dahlquist', '2.0').fmuPath, join(only2, 'D.fmu'));
      assert.throws(() => cat.resolve('msl:Dahlquist'), isCode('BAD_REQUEST'));
    } finally {
      rmSync(only2, { recursive: true, force: true });
    }
  });
});

describe('search helpers', () => {
  const e = (name: string, tags: string[] = [], description = ''): Parameters<typeof rankEntries>[0][number] =>
    ({ name, tags, description, equations: [], variables: [] });

  it('ranks name > tag > description', () => {
    const entries = [e('Alpha', [], 'about motor drives'), e('Beta', ['motor']), e('MotorX')];
    assert.deepEqual(rankEntries(entries, 'motor').map((x) => x.name), ['MotorX', 'Beta', 'Alpha']);
  });

  it('suggests by edit distance and substring, not for unrelated names', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.deepEqual(closeMatches('Dahlqist', ['Dahlquist', 'Stair']), ['Dahlquist']);
    assert.deepEqual(closeMatches('Bouncing', ['BouncingBall', 'Stair']), ['BouncingBall']);
    assert.deepEqual(closeMatches('a', ['Dahlquist', 'Stair']), []);
  });
});
