/**
 * modelDescription.xml bytes → text: invalid UTF-8 and undeclared Latin-1 are MODEL_DESCRIPTION_INVALID
 * (with the byte offset), a declared single-byte encoding is honoured, UTF-16 is refused; through
 * openFmu the same, and a refused file leaves nothing in the cache.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { openFmu } from '../../../src/fmi/archive.ts';
import { decodeModelDescription, firstInvalidUtf8 } from '../../../src/fmi/model-description-encoding.ts';
import { craftZip } from '../../helpers/zip-craft.ts';

const dir = mkdtempSync(join(tmpdir(), 'md-encoding-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const md = (decl: string, name: string): string =>
  `${decl}<fmiModelDescription fmiVersion="2.0" modelName="M" guid="g"><CoSimulation modelIdentifier="M"/>` +
  `<ModelVariables><ScalarVariable name="${name}" valueReference="1"><Real/></ScalarVariable></ModelVariables><ModelStructure/></fmiModelDescription>`;

const invalid = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GatewayError && e.code === 'MODEL_DESCRIPTION_INVALID', String(e));
    return e;
  }
  assert.fail('expected MODEL_DESCRIPTION_INVALID');
};

describe('decodeModelDescription', () => {
  it('decodes UTF-8 with or without a declaration or BOM', () => {
    const text = md('<?xml version="1.0" encoding="UTF-8"?>', 'Temperatur_°C');
    assert.equal(decodeModelDescription(Buffer.from(text, 'utf8')), text);
    assert.equal(decodeModelDescription(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])), text);
    assert.equal(decodeModelDescription(Buffer.from(md('', 'ü'), 'utf8')), md('', 'ü'));
  });

  it('refuses Latin-1 bytes without a declaration, naming the byte offset', () => {
    const raw = Buffer.from(md('<?xml version="1.0"?>', 'T_°C'), 'latin1');
    const e = invalid(() => decodeModelDescription(raw));
    assert.equal(e.data?.reason, 'encoding');
    assert.equal(e.data?.byte_offset, raw.indexOf(0xb0));
  });

  it('refuses invalid UTF-8 under a UTF-8 declaration (truncated sequence, overlong, surrogate)', () => {
    for (const bad of [[0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]) {
      const raw = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="utf-8"?><a n="'), Buffer.from(bad), Buffer.from('"/>')]);
      const e = invalid(() => decodeModelDescription(raw));
      assert.equal(e.data?.byte_offset, 44, JSON.stringify(bad));
    }
  });

  it('honours an explicit ISO-8859-1 / windows-1252 declaration', () => {
    const text = md('<?xml version="1.0" encoding="ISO-8859-1"?>', 'T_°C');
    assert.equal(decodeModelDescription(Buffer.from(text, 'latin1')), text);
    const cp = md("<?xml version='1.0' encoding='windows-1252'?>", 'x€');
    assert.equal(decodeModelDescription(Buffer.from(cp.replace('€', '\u0080'), 'latin1')), cp);
  });

  it('refuses UTF-16 and unknown declared encodings', () => {
    invalid(() => decodeModelDescription(Buffer.from(`\ufeff${md('', 'x')}`, 'utf16le')));
    invalid(() => decodeModelDescription(Buffer.from(md('<?xml version="1.0" encoding="EBCDIC-US"?>', 'x'))));
    invalid(() => decodeModelDescription(Buffer.from(md('<?xml version="1.0" encoding="US-ASCII"?>', 'ü'), 'latin1')));
  });

  it('firstInvalidUtf8 returns the length for valid input', () => {
    const ok = Buffer.from('aé€😀');
    assert.equal(firstInvalidUtf8(ok), ok.length);
  });
});

describe('openFmu: encoding, size cap, parse once', () => {
  it('an FMU with an undeclared Latin-1 description is refused and nothing is unpacked', () => {
    const cacheDir = join(dir, 'latin1');
    const bytes = craftZip([{ name: 'modelDescription.xml', data: Buffer.from(md('<?xml version="1.0"?>', 'T_°C'), 'latin1') }]);
    const e = invalid(() => openFmu({ bytes }, { cacheDir }));
    assert.equal(e.data?.reason, 'encoding');
    assert.equal(existsSync(cacheDir) ? readdirSync(cacheDir).length : 0, 0);
  });

  it('a description over maxModelDescriptionBytes is refused by its declared size, before inflating', () => {
    const xml = md('', 'x');
    const bytes = craftZip([{ name: 'modelDescription.xml', data: xml }]);
    const e = invalid(() => openFmu({ bytes }, { cacheDir: join(dir, 'cap'), limits: { maxModelDescriptionBytes: xml.length - 1 } }));
    assert.equal(e.data?.reason, 'too_large');
    assert.equal(e.data?.size_bytes, xml.length);
    // A lying central directory (declares less than it holds) is caught when inflating.
    const lying = craftZip([{ name: 'modelDescription.xml', data: xml, declaredSize: 10 }]);
    assert.throws(
      () => openFmu({ bytes: lying }, { cacheDir: join(dir, 'cap2') }),
      (err: unknown) => err instanceof GatewayError,
    );
    assert.ok(openFmu({ bytes }, { cacheDir: join(dir, 'cap3'), limits: { maxModelDescriptionBytes: xml.length } }));
  });

  it('the same archive is parsed once: a second open reuses the parsed description', () => {
    const bytes = craftZip([{ name: 'modelDescription.xml', data: md('', 'once') }]);
    const a = openFmu({ bytes }, { cacheDir: join(dir, 'once') });
    const b = openFmu({ bytes }, { cacheDir: join(dir, 'once') });
    assert.equal(a.sha256, b.sha256);
    assert.equal(a.modelDescription, b.modelDescription, 'the very same object: not parsed again');
  });
});
