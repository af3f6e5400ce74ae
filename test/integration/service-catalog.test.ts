/** list_library, get_variables, upload_fmu and the describe resources on real FMUs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetVariablesOutputSchema } from '../../src/schemas/variables.ts';
import { ListLibraryOutputSchema } from '../../src/schemas/library.ts';
import { UploadFmuOutputSchema } from '../../src/schemas/upload.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { describeLibraryModel, describeUploadedFmu } from '../../src/service/describe.ts';
import { getVariables } from '../../src/service/get-variables.ts';
import { listLibrary } from '../../src/service/list-library.ts';
import { simulate } from '../../src/service/simulate.ts';
import { uploadFmu } from '../../src/service/upload-fmu.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

let ctx: ServiceContext;
let built: Map<string, string>;
const cleanups: (() => void)[] = [];

before(async () => {
  built = await buildModels(['Dahlquist', 'SpringMassDamper']);
  const t = createTestContext(built);
  ctx = t.ctx;
  cleanups.push(t.cleanup);
});
after(() => cleanups.forEach((c) => c()));

describe('listLibrary', () => {
  it('lists models with ids, counts and default experiments', async () => {
    const out = listLibrary(ctx, {});
    assert.ok(ListLibraryOutputSchema.safeParse(out).success);
    assert.equal(out.total, 2);
    const smd = out.models.find((m) => m.id === 'msl:SpringMassDamper');
    assert.deepEqual(smd?.counts, { inputs: 1, outputs: 2, parameters: 3 });
    assert.equal(smd?.default_experiment.stop_time, 10);
    assert.ok((smd?.equations[0] ?? '').includes('der(x) = v'));
  });

  it('applies the limit but reports the total', async () => {
    const out = listLibrary(ctx, { limit: 1 });
    assert.deepEqual([out.models.length, out.total], [1, 2]);
    assert.deepEqual(
      listLibrary(ctx, { query: 'oscillator' }).models.map((m) => m.id),
      ['msl:SpringMassDamper'],
    );
  });
});

describe('getVariables', () => {
  it('describes the FMI 3.0 build by default and filters by causality', async () => {
    const out = await getVariables(ctx, { fmu_id: 'msl:SpringMassDamper', causality: 'parameter' });
    assert.ok(GetVariablesOutputSchema.safeParse(out).success);
    assert.equal(out.fmi_version, '3.0');
    assert.deepEqual(
      out.variables.map((v) => v.name),
      ['m', 'c', 'k'],
    );
    assert.deepEqual(out.variables[1], {
      name: 'c',
      value_reference: out.variables[1]?.value_reference,
      type: 'Float64',
      causality: 'parameter',
      variability: out.variables[1]?.variability,
      start: 0.4,
      unit: 'N.s/m',
      min: 0,
      description: 'Viscous damping coefficient (critical damping: 2*sqrt(m*k))',
    });
  });

  it('filters by text and reports the FMI 2.0 build when asked', async () => {
    const out = await getVariables(ctx, { fmu_id: 'msl:SpringMassDamper', fmi_version: '2.0', query: 'VELOCITY' });
    assert.equal(out.fmi_version, '2.0');
    assert.deepEqual(
      out.variables.map((v) => v.name),
      ['v'],
    );
    assert.equal(out.total, 1);
  });

  it('rejects an unknown model', async () => {
    await assert.rejects(async () => getVariables(ctx, { fmu_id: 'msl:Nope' }), isCode('NOT_FOUND'));
  });
});

describe('uploadFmu', () => {
  it('stores the same bytes once under their sha256, and the id simulates', async () => {
    const bytes = readFileSync(built.get('Dahlquist@2.0') as string);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const first = await uploadFmu(ctx, { content_base64: bytes.toString('base64') });
    assert.ok(UploadFmuOutputSchema.safeParse(first).success);
    assert.deepEqual(
      [first.fmu_id, first.already_stored, first.model_name, first.fmi_version, first.size_bytes, first.has_sources],
      [`sha256:${sha}`, false, 'Dahlquist', '2.0', bytes.length, first.has_sources],
    );
    // x, der(x), k and the independent variable time.
    assert.deepEqual(first.counts, { inputs: 0, outputs: 1, parameters: 1, states: 1, event_indicators: 0, variables: 4 });
    assert.ok(first.platforms.length > 0);
    const again = await uploadFmu(ctx, { path: built.get('Dahlquist@2.0') as string }, { allowPath: true });
    assert.deepEqual([again.fmu_id, again.already_stored], [first.fmu_id, true]);
    assert.deepEqual(readdirSync(join(ctx.config.dataDir, 'fmus')), [`${sha}.fmu`]);

    const { output } = await simulate(ctx, { fmu_id: first.fmu_id, stop_time: 1, step: 0.1 });
    assert.equal(output.provenance.fmu_sha256, sha);
    assert.ok(Math.abs((output.summary.x?.final ?? 0) - Math.exp(-1)) < 1e-5);

    const described = await describeUploadedFmu(ctx, sha);
    assert.equal(described.uri, `fmu-gateway://fmus/${sha}`);
    assert.deepEqual(described.data.variables.map((v) => v.name).sort(), ['der(x)', 'k', 'time', 'x']);
  });

  it("refuses an fmi_version other than the uploaded FMU's own, rather than ignoring it", async () => {
    const { fmu_id } = await uploadFmu(ctx, { path: built.get('Dahlquist@2.0') as string }, { allowPath: true });
    await assert.rejects(async () => getVariables(ctx, { fmu_id, fmi_version: '3.0' }), isCode('BAD_REQUEST'));
    await assert.rejects(simulate(ctx, { fmu_id, fmi_version: '3.0', stop_time: 1 }), isCode('BAD_REQUEST'));
    assert.equal((await getVariables(ctx, { fmu_id, fmi_version: '2.0' })).fmi_version, '2.0');
  });

  it('refuses path uploads unless the face allows them', async () => {
    await assert.rejects(async () => uploadFmu(ctx, { path: built.get('Dahlquist@3.0') as string }), isCode('BAD_REQUEST'));
    await assert.rejects(async () => uploadFmu(ctx, { path: 'relative.fmu' }, { allowPath: true }), isCode('BAD_REQUEST'));
    await assert.rejects(async () => uploadFmu(ctx, { path: '/no/such/file.fmu' }, { allowPath: true }), isCode('NOT_FOUND'));
  });

  it('rejects invalid base64 and non-FMU bytes without storing anything', async () => {
    const t = createTestContext(built);
    cleanups.push(t.cleanup);
    await assert.rejects(async () => uploadFmu(t.ctx, { content_base64: 'not base64!' }), isCode('BAD_REQUEST'));
    await assert.rejects(async () => uploadFmu(t.ctx, { content_base64: 'Zm9v!mFy' }), isCode('BAD_REQUEST'));
    await assert.rejects(async () => uploadFmu(t.ctx, { content_base64: 'Zm9v=mFy' }), isCode('BAD_REQUEST'));
    await assert.rejects(
      async () => uploadFmu(t.ctx, { content_base64: Buffer.from('hello, not a zip').toString('base64') }),
      isCode('FMU_INVALID'),
    );
    assert.equal(existsSync(join(t.ctx.config.dataDir, 'fmus')), false);
  });

  it('rejects an FMU larger than MAX_FMU_MB before decoding it', async () => {
    const t = createTestContext(built, { MAX_FMU_MB: '0.001' });
    cleanups.push(t.cleanup);
    const bytes = readFileSync(built.get('Dahlquist@3.0') as string);
    await assert.rejects(async () => uploadFmu(t.ctx, { content_base64: bytes.toString('base64') }), isCode('BAD_REQUEST'));
  });
});

describe('describeLibraryModel', () => {
  it('returns the catalog entry with the variables of the FMU', async () => {
    const d = await describeLibraryModel(ctx, 'Dahlquist');
    assert.equal(d.uri, 'fmu-gateway://library/Dahlquist');
    assert.equal(d.data.id, 'msl:Dahlquist');
    assert.deepEqual(d.data.variables.map((v) => v.name).sort(), ['der(x)', 'k', 'time', 'x']);
  });
});
