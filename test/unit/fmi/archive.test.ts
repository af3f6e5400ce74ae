import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { isGatewayError } from '../../../src/errors.ts';
import { COMPLETION_MARKER, openFmu, sha256File } from '../../../src/fmi/archive.ts';
import { currentPlatform } from '../../../src/fmi/platform.ts';
import type { CraftEntry } from '../../helpers/zip-craft.ts';
import { craftZip } from '../../helpers/zip-craft.ts';

const MD = `<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="2.0" modelName="Tiny" guid="{abc}" numberOfEventIndicators="0">
  <CoSimulation modelIdentifier="Tiny"/>
  <ModelVariables>
    <ScalarVariable name="y" valueReference="0" causality="output"><Real/></ScalarVariable>
  </ModelVariables>
  <ModelStructure><Outputs><Unknown index="1"/></Outputs></ModelStructure>
</fmiModelDescription>`;

const platform = currentPlatform();
const validEntries = (): CraftEntry[] => [
  { name: 'modelDescription.xml', data: MD },
  { name: 'binaries/' },
  { name: `binaries/${platform.fmi2}/Tiny${platform.ext}`, data: Buffer.alloc(4096, 7) },
  { name: 'resources/table.txt', data: 'a b c\n', method: 'store' },
];

const roots: string[] = [];
let parent = '';
let cacheDir = '';

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'fmu-archive-test-'));
  roots.push(parent);
  cacheDir = join(parent, 'cache');
});
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A refused archive leaves nothing: no stray file beside the cache, no (partial) dir inside it. */
function assertNothingWritten(): void {
  assert.deepEqual(
    readdirSync(parent).filter((n) => n !== 'cache'),
    [],
  );
  if (existsSync(cacheDir)) assert.deepEqual(readdirSync(cacheDir), []);
  assert.equal(existsSync(join(process.cwd(), 'evil')), false);
}

function assertRefused(bytes: Buffer, code: string, reason: string | undefined, limits = {}): void {
  assert.throws(
    () => openFmu({ bytes }, { cacheDir, limits }),
    (e: unknown) => {
      assert.ok(isGatewayError(e), `expected a GatewayError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      if (reason !== undefined) assert.equal(e.data?.reason, reason, e.message);
      return true;
    },
  );
  assertNothingWritten();
}

describe('openFmu', () => {
  test('unpacks a valid FMU into <cacheDir>/<sha256> with a completion marker', () => {
    const bytes = craftZip(validEntries());
    const fmu = openFmu({ bytes }, { cacheDir });
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.equal(fmu.sha256, sha);
    assert.equal(fmu.unpackedDir, join(cacheDir, sha));
    assert.equal(readFileSync(join(fmu.unpackedDir, 'modelDescription.xml'), 'utf8'), MD);
    assert.equal(readFileSync(join(fmu.unpackedDir, 'resources/table.txt'), 'utf8'), 'a b c\n');
    assert.deepEqual(readFileSync(join(fmu.unpackedDir, `binaries/${platform.fmi2}/Tiny${platform.ext}`)), Buffer.alloc(4096, 7));
    assert.ok(existsSync(join(fmu.unpackedDir, COMPLETION_MARKER)));
    assert.equal(fmu.modelDescription.model_name, 'Tiny');
    assert.deepEqual(fmu.platforms, [platform.fmi2]);
    assert.equal(fmu.hasSources, false);
    assert.deepEqual(fmu.warnings, []);
    assert.equal(fmu.archivePath, undefined);
    // Only the final directory is left in the cache: the temporary sibling was renamed away.
    assert.deepEqual(readdirSync(cacheDir), [sha]);
  });

  test('opening by path gives the same sha256 as opening by bytes and as sha256File', () => {
    const bytes = craftZip(validEntries());
    const file = join(parent, 'tiny.fmu');
    writeFileSync(file, bytes);
    const a = openFmu({ path: file }, { cacheDir });
    const b = openFmu({ bytes }, { cacheDir });
    assert.equal(a.sha256, b.sha256);
    assert.equal(sha256File(file), a.sha256);
    assert.equal(a.archivePath, file);
  });

  test('reuses a completed unpack instead of extracting again', () => {
    const bytes = craftZip(validEntries());
    const first = openFmu({ bytes }, { cacheDir });
    const sentinel = join(first.unpackedDir, 'resources', 'sentinel');
    writeFileSync(sentinel, 'still here');
    const second = openFmu({ bytes }, { cacheDir });
    assert.equal(second.unpackedDir, first.unpackedDir);
    assert.equal(readFileSync(sentinel, 'utf8'), 'still here');
  });

  test('replaces a leftover directory that has no completion marker', () => {
    const bytes = craftZip(validEntries());
    const sha = createHash('sha256').update(bytes).digest('hex');
    mkdirSync(join(cacheDir, sha), { recursive: true });
    writeFileSync(join(cacheDir, sha, 'junk'), 'partial');
    const fmu = openFmu({ bytes }, { cacheDir });
    assert.equal(existsSync(join(fmu.unpackedDir, 'junk')), false);
    assert.ok(existsSync(join(fmu.unpackedDir, COMPLETION_MARKER)));
  });

  test('flags sources and warns when no binary matches this platform', () => {
    const bytes = craftZip([
      { name: 'modelDescription.xml', data: MD },
      { name: 'binaries/darwin64/Tiny.dylib', data: 'x' },
      { name: 'sources/tiny.c', data: 'int x;' },
    ]);
    const fmu = openFmu({ bytes }, { cacheDir });
    assert.deepEqual(fmu.platforms, ['darwin64']);
    assert.equal(fmu.hasSources, true);
    assert.equal(fmu.warnings.length, 1);
    assert.match(fmu.warnings[0] ?? '', /compiled from sources/);
  });

  for (const [label, name] of [
    ['a ../ prefix', '../evil'],
    ['a nested .. escape', 'resources/../../evil'],
    ['an absolute path', `/tmp/fmu-gateway-abs-${process.pid}`],
    ['backslashes', 'a\\..\\..\\evil'],
    ['a drive letter', 'C:/evil'],
  ] as const) {
    test(`refuses an entry name with ${label}`, () => {
      assertRefused(craftZip([...validEntries(), { name, data: 'pwned' }]), 'FMU_INVALID', 'path_traversal');
      assert.equal(existsSync(`/tmp/fmu-gateway-abs-${process.pid}`), false);
    });
  }

  test('refuses an entry name containing a NUL byte', () => {
    const name = Buffer.concat([Buffer.from('resources/a'), Buffer.from([0]), Buffer.from('.txt')]);
    assertRefused(craftZip([...validEntries(), { name, data: 'x' }]), 'FMU_INVALID', 'path_traversal');
  });

  test('refuses a symlink entry', () => {
    assertRefused(
      craftZip([...validEntries(), { name: 'resources/link', data: '/etc/passwd', unixMode: 0o120777 }]),
      'FMU_INVALID',
      'symlink',
    );
  });

  test('refuses an archive whose declared sizes exceed the unpacked limit (zip bomb by declaration)', () => {
    const bytes = craftZip([...validEntries(), { name: 'resources/huge.bin', data: 'tiny', method: 'store', declaredSize: 0xfffffff0 }]);
    assertRefused(bytes, 'FMU_INVALID', 'too_large');
  });

  test('refuses a real high-ratio entry (20 MB of zeros in a few KB)', () => {
    const bytes = craftZip([...validEntries(), { name: 'resources/zeros.bin', data: Buffer.alloc(20 * 1024 * 1024) }]);
    assert.ok(bytes.length < 100_000, `crafted bomb is ${bytes.length} bytes`);
    assertRefused(bytes, 'FMU_INVALID', 'compression_ratio');
  });

  test('refuses an entry that inflates to more than it declares, leaving no partial directory', () => {
    const data = Buffer.alloc(64 * 1024, 1);
    const bytes = craftZip([...validEntries(), { name: 'resources/liar.bin', data, declaredSize: 1000 }]);
    assertRefused(bytes, 'FMU_INVALID', 'size_mismatch');
  });

  test('refuses an entry whose CRC-32 does not match its data', () => {
    assertRefused(craftZip([...validEntries(), { name: 'resources/bad.txt', data: 'hello', crc: 1234 }]), 'FMU_INVALID', 'crc_mismatch');
  });

  test('refuses more entries than the limit', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ name: `resources/f${i}.txt`, data: `${i}` }));
    assertRefused(craftZip([...validEntries(), ...many]), 'FMU_INVALID', 'too_many_entries', { maxEntries: 8 });
  });

  test('refuses an archive larger than maxArchiveBytes', () => {
    assertRefused(craftZip(validEntries()), 'FMU_INVALID', 'too_large', { maxArchiveBytes: 100 });
  });

  test('refuses a duplicate entry name', () => {
    assertRefused(craftZip([...validEntries(), { name: 'resources/table.txt', data: 'again' }]), 'FMU_INVALID', 'duplicate_entry');
  });

  test('accepts a file stored twice with identical bytes, with a warning naming it', () => {
    // Once deflated, once stored: the entries differ on disk, the bytes they hold do not.
    const fmu = openFmu(
      { bytes: craftZip([...validEntries(), { name: 'resources/table.txt', data: 'a b c\n', method: 'deflate' }]) },
      { cacheDir },
    );
    assert.equal(readFileSync(join(fmu.unpackedDir, 'resources', 'table.txt'), 'utf8'), 'a b c\n');
    const dup = fmu.warnings.filter((w) => w.includes('resources/table.txt'));
    assert.equal(dup.length, 1, fmu.warnings.join('; '));
    assert.match(dup[0] ?? '', /more than once/);
  });

  test('refuses a duplicate of the same size and CRC field but different bytes', () => {
    // Same length, and the CRC in the headers forged to match: only the byte comparison can tell.
    const forged = { name: 'resources/table.txt', data: 'x y z\n', crc: crc32(Buffer.from('a b c\n')) >>> 0 };
    assertRefused(craftZip([...validEntries(), forged]), 'FMU_INVALID', undefined);
  });

  test('refuses a modelDescription.xml given twice with different contents', () => {
    const other = MD.replace('modelName="Tiny"', 'modelName="Evil"');
    assertRefused(craftZip([...validEntries(), { name: 'modelDescription.xml', data: other }]), 'FMU_INVALID', 'duplicate_entry');
  });

  test('reports a missing FMU file as NOT_FOUND', () => {
    assert.throws(
      () => openFmu({ path: join(parent, 'nope.fmu') }, { cacheDir }),
      (e: unknown) => isGatewayError(e) && e.code === 'NOT_FOUND',
    );
    assertNothingWritten();
  });

  test('refuses a file that is not a zip', () => {
    assertRefused(Buffer.from('this is plain text, not an FMU\n'.repeat(10)), 'FMU_INVALID', 'not_zip');
  });

  test('refuses an empty file', () => {
    assertRefused(Buffer.alloc(0), 'FMU_INVALID', 'not_zip');
  });

  test('refuses a truncated zip', () => {
    const bytes = craftZip(validEntries());
    assertRefused(bytes.subarray(0, Math.floor(bytes.length / 2)), 'FMU_INVALID', 'truncated');
  });

  test('refuses a zip whose central directory points at garbage', () => {
    const bytes = Buffer.from(craftZip(validEntries()));
    const eocd = bytes.length - 22;
    bytes.writeUInt32LE(bytes.readUInt32LE(eocd + 16) + 3, eocd + 16); // shift the directory offset
    assertRefused(bytes, 'FMU_INVALID', undefined);
  });

  test('refuses an archive without modelDescription.xml at its root', () => {
    assertRefused(
      craftZip([
        { name: 'sub/modelDescription.xml', data: MD },
        { name: 'resources/a.txt', data: 'a' },
      ]),
      'FMU_INVALID',
      'missing_model_description',
    );
  });

  test('refuses an invalid modelDescription.xml before writing anything', () => {
    assertRefused(
      craftZip([{ name: 'modelDescription.xml', data: '<fmiModelDescription fmiVersion="2.0"' }]),
      'MODEL_DESCRIPTION_INVALID',
      undefined,
    );
  });

  test('refuses entries using an unsupported compression method', () => {
    const bytes = Buffer.from(craftZip([...validEntries(), { name: 'resources/x.txt', data: 'x', method: 'store' }]));
    // Patch the method of the last entry (local + central) to 12 (bzip2).
    const central = bytes.lastIndexOf(Buffer.from('resources/x.txt')) - 46;
    bytes.writeUInt16LE(12, central + 10);
    assertRefused(bytes, 'FMU_INVALID', 'unsupported_compression');
  });

  test('refuses an entry name longer than 1024 bytes quickly, even when deep', () => {
    // Deep names once cost O(depth²) work each (seconds per entry); now they are refused up front.
    const deep = Array.from({ length: 4 }, (_, i) => ({ name: `${'a/'.repeat(20_000)}${i}`, data: 'x' }));
    const t0 = Date.now();
    assertRefused(craftZip([...validEntries(), ...deep]), 'FMU_INVALID', 'name_too_long');
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  test('refuses a path segment longer than 255 bytes', () => {
    assertRefused(craftZip([...validEntries(), { name: `resources/${'b'.repeat(256)}`, data: 'x' }]), 'FMU_INVALID', 'name_too_long');
  });

  test('refuses a file that is also a directory further down (a, then a/b/c)', () => {
    assertRefused(
      craftZip([...validEntries(), { name: 'resources/a', data: 'x' }, { name: 'resources/a/b/c', data: 'y' }]),
      'FMU_INVALID',
      'duplicate_entry',
    );
    assertRefused(
      craftZip([...validEntries(), { name: 'resources/a/b/c', data: 'y' }, { name: 'resources/a', data: 'x' }]),
      'FMU_INVALID',
      'duplicate_entry',
    );
  });

  test('refuses an entry whose local header names another file than the central directory', () => {
    const bytes = craftZip([...validEntries(), { name: 'resources/readme.txt', localName: 'modelDescription.xml', data: 'x' }]);
    assertRefused(bytes, 'FMU_INVALID', 'corrupt');
  });

  test('refuses a UTF-16 modelDescription.xml naming the encoding', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MD.replace('UTF-8', 'UTF-16'), 'utf16le')]);
    assert.throws(
      () => openFmu({ bytes: craftZip([{ name: 'modelDescription.xml', data: utf16 }]) }, { cacheDir }),
      (e: unknown) => {
        assert.ok(isGatewayError(e));
        assert.equal(e.code, 'MODEL_DESCRIPTION_INVALID');
        assert.equal(e.data?.reason, 'encoding', e.message);
        return true;
      },
    );
    assertNothingWritten();
  });

  test('a deflate stream of a real model description round-trips through the reader', () => {
    // Guards the reader against accepting only our own helper's output: raw deflate from zlib.
    assert.ok(deflateRawSync(Buffer.from(MD)).length < MD.length);
    const fmu = openFmu({ bytes: craftZip([{ name: 'modelDescription.xml', data: MD }]) }, { cacheDir });
    assert.equal(fmu.modelDescription.guid, '{abc}');
    assert.deepEqual(fmu.platforms, []);
    assert.match(fmu.warnings[0] ?? '', /cannot run on this machine/);
  });
});
