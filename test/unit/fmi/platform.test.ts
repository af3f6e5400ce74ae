import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import { openFmu } from '../../../src/fmi/archive.ts';
import { parseModelDescription } from '../../../src/fmi/model-description.ts';
import { currentPlatform, findBinary, listPlatforms, platformFor } from '../../../src/fmi/platform.ts';
import { craftZip } from '../../helpers/zip-craft.ts';

const root = mkdtempSync(join(tmpdir(), 'fmu-platform-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const md2 = parseModelDescription(
  '<fmiModelDescription fmiVersion="2.0" modelName="M" guid="g"><CoSimulation modelIdentifier="M_cs"/><ModelVariables/></fmiModelDescription>',
);
const md3 = parseModelDescription(
  '<fmiModelDescription fmiVersion="3.0" modelName="M" instantiationToken="t"><ModelExchange modelIdentifier="M3"/></fmiModelDescription>',
);

let n = 0;
function tree(files: Record<string, string>): string {
  const dir = join(root, `fmu${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    if (rel.endsWith('/')) mkdirSync(join(dir, rel), { recursive: true });
    else writeFileSync(join(dir, rel), content);
  }
  return dir;
}

function unsupported(fn: () => unknown): Record<string, unknown> {
  let data: Record<string, unknown> | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(isGatewayError(e));
    assert.equal(e.code, 'PLATFORM_UNSUPPORTED', e.message);
    data = e.data;
    return true;
  });
  return data ?? {};
}

describe('platform names', () => {
  test('maps Node platform/arch pairs to FMI 2 folders, FMI 3 tuples and extensions', () => {
    assert.deepEqual(platformFor('linux', 'x64'), { fmi2: 'linux64', fmi3: 'x86_64-linux', ext: '.so' });
    assert.deepEqual(platformFor('linux', 'arm64'), { fmi2: 'aarch64-linux', fmi3: 'aarch64-linux', ext: '.so' });
    assert.deepEqual(platformFor('darwin', 'x64'), { fmi2: 'darwin64', fmi3: 'x86_64-darwin', ext: '.dylib' });
    assert.deepEqual(platformFor('darwin', 'arm64'), { fmi2: 'darwin64', fmi3: 'aarch64-darwin', ext: '.dylib' });
    assert.deepEqual(platformFor('win32', 'x64'), { fmi2: 'win64', fmi3: 'x86_64-windows', ext: '.dll' });
    assert.deepEqual(platformFor('win32', 'ia32'), { fmi2: 'win32', fmi3: 'x86-windows', ext: '.dll' });
  });

  test('refuses a host FMI defines no folder for', () => {
    unsupported(() => platformFor('aix', 'ppc64'));
  });

  test('currentPlatform describes this host', () => {
    assert.deepEqual(currentPlatform(), platformFor(process.platform, process.arch));
  });
});

describe('listPlatforms', () => {
  test('lists non-empty platform folders, sorted, ignoring stray files and empty folders', () => {
    const dir = tree({ 'binaries/win64/M.dll': 'x', 'binaries/linux64/M.so': 'x', 'binaries/empty/': '', 'binaries/README': 'hi' });
    assert.deepEqual(listPlatforms(dir, '2.0'), ['linux64', 'win64']);
  });

  test('returns an empty list when there is no binaries folder', () => {
    assert.deepEqual(listPlatforms(tree({ 'sources/a.c': '' }), '2.0'), []);
  });
});

describe('findBinary', () => {
  const p = currentPlatform();

  test('returns the absolute path of the FMI 2 binary for this platform', () => {
    const dir = tree({ [`binaries/${p.fmi2}/M_cs${p.ext}`]: 'elf' });
    const path = findBinary(dir, md2, 'CS');
    assert.ok(isAbsolute(path));
    assert.equal(path, join(dir, 'binaries', p.fmi2, `M_cs${p.ext}`));
  });

  test('returns the FMI 3 binary under its platform tuple', () => {
    const dir = tree({ [`binaries/${p.fmi3}/M3${p.ext}`]: 'elf' });
    assert.equal(findBinary(dir, md3, 'ME'), join(dir, 'binaries', p.fmi3, `M3${p.ext}`));
  });

  test('does not accept an FMI 2 folder name for an FMI 3 FMU', () => {
    const dir = tree({ [`binaries/${p.fmi2}/M3${p.ext}`]: 'elf' });
    if (p.fmi2 !== p.fmi3) unsupported(() => findBinary(dir, md3, 'ME'));
  });

  test('refuses a wrong-platform-only FMU, listing the platforms it carries', () => {
    const data = unsupported(() => findBinary(tree({ 'binaries/darwin64/M_cs.dylib': 'macho' }), md2, 'CS'));
    assert.deepEqual(data.available, ['darwin64']);
    assert.equal(data.has_sources, false);
    assert.equal(data.platform, p.fmi2);
  });

  test('says when the FMU has sources that could be compiled', () => {
    const data = unsupported(() => findBinary(tree({ 'binaries/win64/M_cs.dll': 'pe', 'sources/m.c': '' }), md2, 'CS'));
    assert.deepEqual(data.available, ['win64']);
    assert.equal(data.has_sources, true);
  });

  test('refuses when the binary is named for another model identifier', () => {
    unsupported(() => findBinary(tree({ [`binaries/${p.fmi2}/Other${p.ext}`]: 'elf' }), md2, 'CS'));
  });

  test('refuses an interface the FMU does not implement with BAD_REQUEST', () => {
    assert.throws(
      () => findBinary(tree({}), md2, 'ME'),
      (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST',
    );
  });

  test('works end to end on an opened darwin-only FMU', () => {
    const bytes = craftZip([
      {
        name: 'modelDescription.xml',
        data: '<fmiModelDescription fmiVersion="2.0" modelName="M" guid="g"><CoSimulation modelIdentifier="M_cs"/></fmiModelDescription>',
      },
      { name: 'binaries/darwin64/M_cs.dylib', data: 'macho' },
    ]);
    const fmu = openFmu({ bytes }, { cacheDir: join(root, 'cache') });
    assert.deepEqual(fmu.platforms, ['darwin64']);
    const data = unsupported(() => findBinary(fmu.unpackedDir, fmu.modelDescription, 'CS'));
    assert.deepEqual(data.available, ['darwin64']);
  });
});
