/**
 * Every library model and every (non-hostile) fixture as a sources-only FMU the way tools export
 * them: C sources and no FMI headers (FMI 2 with the <modelIdentifier>_ function prefix of source
 * FMUs, FMI 3 plain), compiled by the gateway's source build (src/fmi/source-build.ts: our own
 * headers, sandboxed compiler), then run in CS and ME and compared with the binary twin that
 * tools/fmu-builder compiled from the same C. Both are our code, so the series must agree to
 * rounding (different compiler flags), and the twin is itself checked against closed forms
 * elsewhere (library-closed-form.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import type { SimulationResult } from '../../src/engine/types.ts';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { ensureBinary } from '../../src/fmi/source-build.ts';
import type { InterfaceKind } from '../../src/schemas/model-description.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';
import { buildFixture, buildLibraryModel, openFixture, ROOT } from '../helpers/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'fmu-sources-only-'));
const cacheDir = join(work, 'cache');
after(() => rmSync(work, { recursive: true, force: true }));

interface Case {
  label: string;
  modelDir: string;
  fmiVersion: '2.0' | '3.0';
  twin: () => Promise<string>;
  prefix?: 'declared' | 'forced';
  raw?: boolean;
  interfaces: InterfaceKind[];
}

const LIBRARY = readdirSync(join(ROOT, 'library', 'models')).sort();
const FIXTURES: { name: string; versions: ('2.0' | '3.0')[]; raw?: boolean; interfaces?: InterfaceKind[] }[] = [
  { name: 'crossings', versions: ['2.0', '3.0'] },
  { name: 'domain', versions: ['2.0', '3.0'] },
  { name: 'lag', versions: ['2.0', '3.0'] },
  { name: 'quantizer', versions: ['2.0', '3.0'] },
  { name: 'types2', versions: ['2.0'] },
  { name: 'types3', versions: ['3.0'] },
  { name: 'raw-fmi2', versions: ['2.0'], raw: true, interfaces: ['CS'] },
];

const cases: Case[] = [
  ...LIBRARY.flatMap((name): Case[] =>
    (['2.0', '3.0'] as const).map((v) => ({
      label: `library ${name} FMI ${v}`,
      modelDir: join(ROOT, 'library', 'models', name),
      fmiVersion: v,
      twin: () => buildLibraryModel(name, v),
      // FMI 2 source FMUs conventionally prefix their functions with the model identifier.
      ...(v === '2.0' ? { prefix: 'declared' as const } : {}),
      interfaces: ['CS', 'ME'],
    })),
  ),
  ...FIXTURES.flatMap((f): Case[] =>
    f.versions.map((v) => ({
      label: `fixture ${f.name} FMI ${v}`,
      modelDir: join(ROOT, 'test', 'fixtures', f.name),
      fmiVersion: v,
      twin: () => buildFixture(f.name, v, f.raw === true ? { raw: true } : {}),
      ...(f.raw === true ? { raw: true } : v === '2.0' ? { prefix: 'declared' as const } : {}),
      interfaces: f.interfaces ?? ['CS', 'ME'],
    })),
  ),
  // Functions that keep the prefix whatever the importer defines: loadable only through the aliases.
  ...(['2.0', '3.0'] as const).map((v): Case => ({
    label: `library BouncingBall FMI ${v}, prefix forced`,
    modelDir: join(ROOT, 'library', 'models', 'BouncingBall'),
    fmiVersion: v,
    twin: () => buildLibraryModel('BouncingBall', v),
    prefix: 'forced',
    interfaces: ['CS', 'ME'],
  })),
];

function run(fmu: OpenedFmu, iface: InterfaceKind, binaryPath?: string): SimulationResult {
  const de = fmu.modelDescription.default_experiment;
  const stop = de?.stop_time ?? 1;
  return runSimulation(
    { unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription, ...(binaryPath !== undefined ? { binaryPath } : {}) },
    { startTime: de?.start_time ?? 0, stopTime: stop, outputInterval: de?.step_size ?? stop / 100, interface: iface },
  );
}

/** Largest difference relative to max(1, |twin|) over every numeric column; strings must be equal. */
function maxDifference(a: SimulationResult, b: SimulationResult): number {
  assert.equal(a.rows, b.rows);
  assert.deepEqual(
    a.columns.map((c) => c.name),
    b.columns.map((c) => c.name),
  );
  let worst = 0;
  for (let i = 0; i < a.rows; i++) worst = Math.max(worst, Math.abs((a.time[i] ?? 0) - (b.time[i] ?? 0)));
  a.columns.forEach((col, k) => {
    const other = b.columns[k]?.values;
    if (!(col.values instanceof Float64Array) || !(other instanceof Float64Array)) {
      assert.deepEqual(col.values, other, col.name);
      return;
    }
    for (let i = 0; i < a.rows; i++) {
      const x = col.values[i] ?? 0;
      const y = other[i] ?? 0;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
    }
  });
  return worst;
}

function exportedFmiNames(lib: string): string[] {
  return execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((s) => /fmi[23][A-Z]/.test(s));
}

describe('sources-only FMUs compile through the gateway and match their binary twins', () => {
  const built = new Map<string, { sourcesOnly: OpenedFmu; twin: OpenedFmu; lib: Partial<Record<InterfaceKind, string>> }>();

  before(async () => {
    // Archives first (no compiler), then the gateway's compiles two at a time (2 cores).
    const prepared = await Promise.all(
      cases.map(async (c, i) => {
        const outFile = join(work, `${i}-${c.fmiVersion}.fmu`);
        await buildFmu({
          modelDir: c.modelDir,
          fmiVersion: c.fmiVersion,
          outFile,
          binary: false,
          sources: true,
          ...(c.prefix !== undefined ? { functionPrefix: c.prefix } : {}),
          ...(c.raw === true ? { rawSources: true } : {}),
        });
        const sourcesOnly = openFmu({ path: outFile }, { cacheDir });
        return { c, sourcesOnly, twin: openFixture(await c.twin()) };
      }),
    );
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < prepared.length) {
        const p = prepared[next++] as (typeof prepared)[number];
        const lib: Partial<Record<InterfaceKind, string>> = {};
        for (const iface of p.c.interfaces) lib[iface] = (await ensureBinary(p.sourcesOnly, iface, { cacheDir })).path;
        built.set(p.c.label, { sourcesOnly: p.sourcesOnly, twin: p.twin, lib });
      }
    };
    await Promise.all([worker(), worker()]);
  });

  test('the archives carry sources only: no binaries/, no FMI headers', () => {
    for (const c of cases) {
      const b = built.get(c.label);
      assert.ok(b, c.label);
      assert.deepEqual(b.sourcesOnly.platforms, [], c.label);
      const files = readdirSync(join(b.sourcesOnly.unpackedDir, 'sources'));
      assert.ok(
        !files.some((f) => /^fmi[23](Functions|FunctionTypes|TypesPlatform|PlatformTypes)\.h$/.test(f)),
        `${c.label}: ${files.join(', ')}`,
      );
    }
  });

  for (const c of cases) {
    test(`${c.label}: ${c.interfaces.join(' and ')} results equal the binary twin's`, () => {
      const b = built.get(c.label);
      assert.ok(b, c.label);
      for (const iface of c.interfaces) {
        const lib = b.lib[iface];
        assert.ok(lib !== undefined);
        const names = exportedFmiNames(lib);
        assert.ok(names.includes(`fmi${c.fmiVersion[0]}GetVersion`), `${c.label}: plain names exported`);
        if (c.prefix === 'forced') {
          // The prefixed definitions are there, and the plain names are aliases of them.
          const id = b.sourcesOnly.modelDescription.model_exchange?.model_identifier ?? '';
          assert.ok(names.includes(`${id}_fmi${c.fmiVersion[0]}GetVersion`), names.join(', '));
        } else {
          assert.ok(!names.some((n) => /_fmi[23]/.test(n)), `${c.label}: no prefixed exports: ${names.join(', ')}`);
        }
        const fromSources = run(b.sourcesOnly, iface, lib);
        const fromBinary = run(b.twin, iface);
        assert.ok(fromSources.rows > 1);
        const diff = maxDifference(fromSources, fromBinary);
        assert.ok(diff <= 1e-9, `${c.label} ${iface}: results differ by ${diff}`);
      }
    });
  }
});
