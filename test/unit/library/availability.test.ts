import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import AdmZip from 'adm-zip';
import { libraryAvailability, libraryBuildCommand } from '../../../src/library/availability.ts';
import { PROJECT_ROOT } from '../../../src/project-root.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-library-availability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the built library is ready, with binaries for this platform', () => {
  const a = libraryAvailability(join(PROJECT_ROOT, 'build', 'library'), 'cc');
  assert.equal(a.ready, true, a.detail);
  assert.ok(a.models >= 10);
  assert.match(a.detail, new RegExp(`binaries for ${a.platform}$`));
});

test('no catalog: says it is not built, that no compiler was found, and the command that builds it', () => {
  const a = libraryAvailability(join(dir, 'none'), false);
  assert.equal(a.ready, false);
  assert.ok(a.detail.includes('catalog.json is missing'), a.detail);
  assert.ok(a.detail.includes('none was found'), a.detail);
  assert.ok(a.detail.includes(libraryBuildCommand()), a.detail);
});

test('FMUs without a binary for this platform: not ready, names the platform and what is needed', () => {
  const lib = join(dir, 'lib');
  mkdirSync(join(lib, 'M'), { recursive: true });
  const zip = new AdmZip();
  zip.addFile('modelDescription.xml', Buffer.from('<fmiModelDescription/>'));
  zip.addFile('binaries/darwin64/M.dylib', Buffer.from('not for this machine'));
  zip.writeZip(join(lib, 'M', 'M-fmi2.fmu'));
  writeFileSync(join(lib, 'catalog.json'), JSON.stringify([{ name: 'M', fmus: { '2.0': 'M/M-fmi2.fmu', '3.0': 'M/M-fmi3.fmu' } }]));
  const a = libraryAvailability(lib, 'cc');
  assert.equal(a.ready, false);
  assert.ok(a.detail.includes(`without binaries for ${a.platform}`), a.detail);
  assert.ok(!a.detail.includes('C compiler'), 'a compiler is there: only the build command is needed');
  assert.ok(a.detail.includes(libraryBuildCommand()), a.detail);
});
