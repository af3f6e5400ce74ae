/**
 * An archive that repeats an entry with identical bytes (as some exporters, and a reference FMU,
 * do) uploads with the repeat named in upload_fmu's warnings and runs; a repeat with other bytes
 * is refused. The FMU is a real one (library Dahlquist, compiled from C) re-zipped with the repeat.
 */
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { simulate, uploadFmu } from '../../src/service/index.ts';
import { buildLibraryModel } from '../helpers/fixtures.ts';
import { craftZip, type CraftEntry } from '../helpers/zip-craft.ts';
import { createTestContext, isCode } from './service-helpers.ts';

describe('upload_fmu with duplicate archive entries', () => {
  let t: ReturnType<typeof createTestContext>;
  let entries: CraftEntry[] = [];
  before(async () => {
    const zip = new AdmZip(readFileSync(await buildLibraryModel('Dahlquist', '3.0')));
    entries = zip.getEntries().map((e) => ({ name: e.entryName, data: e.getData() }));
    t = createTestContext(new Map());
  });
  after(() => t.cleanup());

  test('identical repeat: accepted, named in the warnings, and the FMU runs', async () => {
    const md = entries.find((e) => e.name === 'modelDescription.xml');
    assert.ok(md);
    const bytes = craftZip([...entries, { name: 'modelDescription.xml', data: md.data, method: 'store' }]);
    const up = await uploadFmu(t.ctx, { content_base64: bytes.toString('base64') });
    assert.ok(
      up.warnings.some((w) => w.includes('"modelDescription.xml"') && /more than once/.test(w)),
      up.warnings.join('; '),
    );
    const { output } = await simulate(t.ctx, { fmu_id: up.fmu_id, stop_time: 1, step: 0.1, start_values: { k: 1 } });
    const x = output.summary.x?.final;
    assert.ok(typeof x === 'number' && Math.abs(x - Math.exp(-1)) < 1e-5, `x(1) = ${x}`);
  });

  test('repeat with other bytes: refused as FMU_INVALID, nothing stored', async () => {
    const bytes = craftZip([...entries, { name: 'documentation/model.json', data: '{"tampered": true}' }]);
    await assert.rejects(uploadFmu(t.ctx, { content_base64: bytes.toString('base64') }), isCode('FMU_INVALID'));
  });
});
