/**
 * issue 9 item 1: no path from FMU metadata to the host file system. Hostile FMUs are real FMUs
 * built here (library models, the constructor fixture) with crafted metadata: a modelIdentifier
 * that walks out of the FMU, source file names and buildDescription entries outside sources/.
 * Each is refused with MODEL_DESCRIPTION_INVALID naming the attribute, and each test checks the
 * attack's effect did not happen: no file written outside the roots, no host library loaded.
 * "Forged" cases skip the parser (as if a validation bug let the string through) to prove the
 * second layer, the final-path check, stops it on its own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { GatewayError } from '../../src/errors.ts';
import { openFmu } from '../../src/fmi/archive.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { currentPlatform, platformFolder } from '../../src/fmi/platform.ts';
import { ensureBinary, planBuild } from '../../src/fmi/source-build.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { ModelDescription } from '../../src/schemas/model-description.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';
import { ROOT, buildLibraryModel } from '../helpers/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'fmu-hostile-paths-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Where a loaded host library would leave its mark (the constructor fixture writes it at dlopen). */
const MARKER = join(work, 'host-library-was-loaded');
const ext = currentPlatform().ext;

function expectInvalid(fn: () => unknown, attribute: string): GatewayError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, 'MODEL_DESCRIPTION_INVALID', e.message);
    assert.equal(e.data?.attribute, attribute, `the error names ${attribute}: ${JSON.stringify(e.data)}`);
    return e;
  }
  assert.fail('expected MODEL_DESCRIPTION_INVALID');
}

async function expectInvalidAsync(p: Promise<unknown>, attribute?: string): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, 'MODEL_DESCRIPTION_INVALID', e.message);
    if (attribute !== undefined) assert.equal(e.data?.attribute, attribute, JSON.stringify(e.data));
    return e;
  }
  assert.fail('expected MODEL_DESCRIPTION_INVALID');
}

/** The same OpenedFmu with both interfaces' model identifiers replaced, bypassing the parser. */
function forgeIdentifier(fmu: OpenedFmu, id: string): OpenedFmu {
  const md: ModelDescription = structuredClone(fmu.modelDescription);
  if (md.co_simulation) md.co_simulation.model_identifier = id;
  if (md.model_exchange) md.model_exchange.model_identifier = id;
  return { ...fmu, modelDescription: md };
}

const setIdentifier = (id: string) => (xml: string) => xml.replace(/modelIdentifier="[^"]*"/g, `modelIdentifier="${id}"`);

/** Every regular file under dir (to show nothing new appeared). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe('a modelIdentifier that is a path', () => {
  let hostLib: string;
  let victim: OpenedFmu;
  let cacheDir: string;

  before(async () => {
    // The "host library": a real shared library outside every FMU root whose constructor writes MARKER.
    const ctorFmu = join(work, 'constructor.fmu');
    await buildFmu({
      modelDir: join(ROOT, 'test', 'fixtures', 'hostile', 'constructor'),
      fmiVersion: '2.0',
      outFile: ctorFmu,
      cflags: [`-DMARKER_PATH="${MARKER}"`],
    });
    const hostDir = join(work, 'host', 'lib');
    mkdirSync(hostDir, { recursive: true });
    const zip = new AdmZip(ctorFmu);
    const entry = zip.getEntries().find((e) => e.entryName.startsWith('binaries/') && e.entryName.endsWith(ext));
    assert.ok(entry, 'the constructor FMU has a binary');
    hostLib = join(hostDir, `libhost${ext}`);
    writeFileSync(hostLib, entry.getData());
    cacheDir = join(work, 'cache');
    victim = openFmu({ path: await buildLibraryModel('BouncingBall', '2.0') }, { cacheDir });
  });

  const escapingId = (fmu: OpenedFmu): string => {
    const folder = join(fmu.unpackedDir, 'binaries', platformFolder('2.0'));
    return relative(folder, hostLib).slice(0, -ext.length);
  };

  it('is refused on open (CS and ME), naming modelIdentifier, and nothing is unpacked', async () => {
    const id = '../../../../tmp/x/evil';
    for (const iface of ['CoSimulation', 'ModelExchange']) {
      const path = join(work, `evil-${iface}.fmu`);
      await buildFmu({
        modelDir: join(ROOT, 'library', 'models', 'BouncingBall'),
        fmiVersion: '2.0',
        outFile: path,
        mutateXml: (xml) => xml.replace(new RegExp(`(<${iface}[^>]*modelIdentifier=")[^"]*"`), `$1${id}"`),
      });
      const cache = join(work, `cache-${iface}`);
      expectInvalid(() => openFmu({ path }, { cacheDir: cache }), 'modelIdentifier');
      assert.deepEqual(filesUnder(cache), [], 'a refused FMU leaves nothing in the cache');
    }
  });

  it('FMI 3 too: a modelIdentifier with a slash, a dot or a leading digit is refused', async () => {
    for (const id of ['a/b', 'lib.x', '9lives', 'a b', `x${'y'.repeat(300)}`]) {
      const path = join(work, `evil3-${id.length}-${id.charCodeAt(1)}.fmu`);
      await buildFmu({
        modelDir: join(ROOT, 'library', 'models', 'Dahlquist'),
        fmiVersion: '3.0',
        outFile: path,
        binary: false,
        mutateXml: setIdentifier(id),
      });
      expectInvalid(() => openFmu({ path }, { cacheDir: join(work, 'cache3') }), 'modelIdentifier');
    }
  });

  it('forged past the parser, it still cannot make the loader dlopen a host library', () => {
    const id = escapingId(victim);
    // The attack is live: resolved naively, the identifier reaches the host library.
    assert.equal(resolve(victim.unpackedDir, 'binaries', platformFolder('2.0'), id + ext), hostLib);
    const forged = forgeIdentifier(victim, id);
    expectInvalid(() => loadFmiLibrary(forged, 'CS'), 'modelIdentifier');
    expectInvalid(() => loadFmiLibrary(forged, 'ME'), 'modelIdentifier');
    assert.equal(existsSync(MARKER), false, 'the host library was not loaded');
  });

  it('forged past the parser, a worker process (no sandbox to hide the host) refuses it too', async () => {
    const pool = createWorkerPool({ size: 1, timeoutMs: 10_000, sandbox: 'off', cacheDir: join(work, 'pool-cache') });
    try {
      const forged = forgeIdentifier(victim, escapingId(victim));
      const job = {
        fmu: { sha256: forged.sha256, unpackedDir: forged.unpackedDir, modelDescription: forged.modelDescription },
        options: { startTime: 0, stopTime: 0.1, outputInterval: 0.01, interface: 'CS' as const },
      };
      await expectInvalidAsync(pool.run(job), 'modelIdentifier');
      assert.equal(existsSync(MARKER), false, 'the host library was not loaded by the worker');
      // The pool is fine afterwards: the honest FMU runs.
      const ok = await pool.run({ ...job, fmu: { ...job.fmu, modelDescription: victim.modelDescription } });
      assert.ok(ok.rows > 0);
    } finally {
      await pool.close();
    }
  });

  it('a symlink inside the FMU tree that points out is not followed to a host library', () => {
    // Archives cannot carry symlinks (refused on open); this stands for a tree tampered with on disk.
    const tree = join(work, 'tampered');
    mkdirSync(join(tree, 'binaries'), { recursive: true });
    symlinkSync(join(work, 'host', 'lib'), join(tree, 'binaries', platformFolder('2.0')));
    const fmu = { ...victim, unpackedDir: tree };
    const forged = forgeIdentifier(fmu, `libhost`);
    assert.throws(
      () => loadFmiLibrary(forged, 'CS'),
      (e: unknown) => e instanceof GatewayError && e.data?.reason === 'path_escape',
    );
    assert.equal(existsSync(MARKER), false, 'the host library was not loaded');
  });
});

describe('a sources-only FMU whose names point outside sources/', () => {
  let sourceOnly2: string;
  let sourceOnly3: string;

  before(async () => {
    sourceOnly2 = join(work, 'src2.fmu');
    sourceOnly3 = join(work, 'src3.fmu');
    for (const [fmiVersion, out] of [
      ['2.0', sourceOnly2],
      ['3.0', sourceOnly3],
    ] as const) {
      await buildFmu({ modelDir: join(ROOT, 'library/models/BouncingBall'), fmiVersion, outFile: out, binary: false, sources: true });
    }
  });

  it('a modelIdentifier forged past the parser does not make the build write a library outside the cache', async () => {
    for (const [fmiVersion, path] of [
      ['2.0', sourceOnly2],
      ['3.0', sourceOnly3],
    ] as const) {
      const cacheDir = join(work, `srccache-${fmiVersion}`, 'cache');
      const opened = openFmu({ path }, { cacheDir });
      // <cacheDir>/<sha>-build/<platform>/ + ../../../escape/evil = <cacheDir>/../escape/evil
      const id = '../../../escape/evil';
      const target = resolve(cacheDir, `${opened.sha256}-build`, platformFolder(fmiVersion), id + ext);
      assert.equal(target, resolve(cacheDir, '..', 'escape', `evil${ext}`), 'the attack would land outside the cache');
      await expectInvalidAsync(ensureBinary(forgeIdentifier(opened, id), 'CS', { cacheDir }), 'modelIdentifier');
      assert.equal(existsSync(target), false, 'no library was written outside the cache');
      assert.deepEqual(filesUnder(resolve(cacheDir, '..', 'escape')), []);
    }
  });

  it('FMI 2 <SourceFiles> names outside sources/ are refused on open, naming the attribute', async () => {
    for (const name of ['../../../../etc/hostname', '/etc/hostname', 'a\\..\\..\\x.c', 'ok/../../x.c', 'C:x.c', 'bad\nname.c']) {
      const path = join(work, `srcfile-${Buffer.from(name).toString('hex').slice(0, 24)}.fmu`);
      await buildFmu({
        modelDir: join(ROOT, 'library/models/BouncingBall'),
        fmiVersion: '2.0',
        outFile: path,
        binary: false,
        sources: true,
        mutateXml: (xml) => xml.replace(/<File name="[^"]*"/, `<File name="${name.replace(/\n/g, '&#10;')}"`),
      });
      const err = expectInvalid(() => openFmu({ path }, { cacheDir: join(work, 'srcfile-cache') }), 'name');
      assert.equal(err.data?.element, 'File');
    }
  });

  it('FMI 3 buildDescription SourceFile / IncludeDirectory names outside sources/ are refused on open and again before compiling', async () => {
    const cases: [string, (xml: string) => string][] = [
      ['SourceFile', (x) => x.replace(/<SourceFile name="[^"]*"/, '<SourceFile name="../../../../../etc/hostname"')],
      ['SourceFile', (x) => x.replace(/<SourceFile name="[^"]*"/, '<SourceFile name="/etc/hostname"')],
      [
        'IncludeDirectory',
        (x) => x.replace('<SourceFileSet language="C99">', '<SourceFileSet language="C99"><IncludeDirectory name="/usr/include"/>'),
      ],
      [
        'IncludeDirectory',
        (x) => x.replace('<SourceFileSet language="C99">', '<SourceFileSet language="C99"><IncludeDirectory name="../.."/>'),
      ],
    ];
    const honestCache = join(work, 'bd-honest');
    const honest = openFmu({ path: sourceOnly3 }, { cacheDir: honestCache });
    let n = 0;
    for (const [element, mutate] of cases) {
      const zip = new AdmZip(sourceOnly3);
      const bd = zip.getEntry('sources/buildDescription.xml');
      assert.ok(bd);
      const hostile = mutate(bd.getData().toString('utf8'));
      zip.updateFile(bd, Buffer.from(hostile));
      const path = join(work, `bd-${n++}.fmu`);
      zip.writeZip(path);
      const cacheDir = join(work, `bdcache-${n}`);
      const onOpen = expectInvalid(() => openFmu({ path }, { cacheDir }), 'name');
      assert.equal(onOpen.data?.element, element);
      assert.deepEqual(filesUnder(cacheDir), [], 'a refused FMU leaves nothing in the cache');
      // The same file on disk (a tree tampered with after upload): the build refuses it too.
      const tree = join(work, `bd-tree-${n}`);
      cpSync(honest.unpackedDir, tree, { recursive: true });
      writeFileSync(join(tree, 'sources', 'buildDescription.xml'), hostile);
      const tampered = { ...honest, unpackedDir: tree };
      const err = expectInvalid(() => planBuild(tampered, 'CS'), 'name');
      assert.equal(err.data?.element, element);
      await expectInvalidAsync(ensureBinary(tampered, 'CS', { cacheDir }), 'name');
      assert.deepEqual(
        filesUnder(cacheDir).filter((f) => f.endsWith(ext)),
        [],
        'nothing was compiled',
      );
    }
  });
});

describe('the check does not refuse honest FMUs', () => {
  it('library models with C-identifier model identifiers still open, build from sources and load', async () => {
    const out = join(work, 'honest-src.fmu');
    await buildFmu({ modelDir: join(ROOT, 'library/models/BouncingBall'), fmiVersion: '2.0', outFile: out, binary: false, sources: true });
    const cacheDir = join(work, 'honest-cache');
    const opened = openFmu({ path: out }, { cacheDir });
    const built = await ensureBinary(opened, 'CS', { cacheDir });
    assert.ok(built.path.startsWith(resolve(cacheDir) + '/'));
    const lib = loadFmiLibrary(opened, 'CS', { binaryPath: built.path });
    lib.unload();
    // Sanity for the compiler: cc is what built it.
    assert.ok(execFileSync('cc', ['--version']).length > 0);
  });
});
