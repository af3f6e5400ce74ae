/**
 * Compile options of sources-only FMUs (upload_fmu compile_options, CLI --include-dir/--define)
 * and the function-prefix convention, end to end through the service: upload validates and
 * stores them with their own fmu_id, simulate compiles with them (the define must reach the
 * compiler: the sources #error without it) and matches the closed form.
 */
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { ensureBinary } from '../../src/fmi/source-build.ts';
import { CompileOptionsSchema, UploadFmuInputSchema, UploadFmuOutputSchema } from '../../src/schemas/upload.ts';
import { simulate, uploadFmu } from '../../src/service/index.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { createTestContext, isCode } from './service-helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'fmu-build-options-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Dahlquist (x' = -k x) as a sources-only FMI 2 FMU whose model.c needs a define and a header
 * from sources/config/: DQ_SCALE must be 2, and dq_config.h multiplies k by it.
 */
async function guardedDahlquist(): Promise<string> {
  const out = join(work, 'guarded.fmu');
  await buildFmu({
    modelDir: join(ROOT, 'library', 'models', 'Dahlquist'),
    fmiVersion: '2.0',
    outFile: out,
    binary: false,
    sources: true,
    functionPrefix: 'declared',
  });
  const zip = new AdmZip(out);
  const modelC = zip.readAsText('sources/model.c');
  const guard =
    '#ifndef DQ_SCALE\n#error "DQ_SCALE was not defined: compile_options did not reach the compiler"\n#endif\n#include "dq_config.h"\n';
  zip.updateFile('sources/model.c', Buffer.from(guard + modelC.replace(/m->v\.k\b/g, '(DQ_K_FACTOR * m->v.k)')));
  zip.addFile('sources/config/dq_config.h', Buffer.from('#define DQ_K_FACTOR ((double)DQ_SCALE / 2.0)\n'));
  zip.writeZip(out);
  return out;
}

describe('compile options for sources-only FMUs', () => {
  let t: ReturnType<typeof createTestContext>;
  let fmuPath = '';
  before(async () => {
    fmuPath = await guardedDahlquist();
    t = createTestContext(new Map());
    t.ctx.ensureBinary = async (fmu, iface, build) =>
      (await ensureBinary(fmu, iface, { cacheDir: t.ctx.config.cacheDir, ...(build === undefined ? {} : { build }) })).path;
  });
  after(() => t.cleanup());

  test('without the options the build fails with a coded error naming the option to use', async () => {
    const up = await uploadFmu(t.ctx, { path: fmuPath }, { allowPath: true });
    assert.equal(up.compile_options, undefined);
    await assert.rejects(simulate(t.ctx, { fmu_id: up.fmu_id, stop_time: 1 }), (e: unknown) => {
      assert.ok(e instanceof GatewayError && e.code === 'COMPILE_FAILED', String(e));
      assert.match(e.message, /DQ_SCALE was not defined/);
      return true;
    });
  });

  test('with include_dirs and defines it compiles and matches x = exp(-k t)', async () => {
    const input = { path: fmuPath, compile_options: { include_dirs: ['config'], defines: ['DQ_SCALE=2', 'UNUSED_FLAG'] } };
    assert.ok(UploadFmuInputSchema.safeParse(input).success);
    const up = await uploadFmu(t.ctx, input, { allowPath: true });
    assert.ok(UploadFmuOutputSchema.safeParse(up).success);
    assert.deepEqual(up.compile_options, { include_dirs: ['config'], defines: ['DQ_SCALE=2', 'UNUSED_FLAG'] });
    // Same bytes, other options: another id; same options in another order: the same id.
    const plain = await uploadFmu(t.ctx, { path: fmuPath }, { allowPath: true });
    assert.notEqual(up.fmu_id, plain.fmu_id);
    const again = await uploadFmu(
      t.ctx,
      { path: fmuPath, compile_options: { defines: ['UNUSED_FLAG', 'DQ_SCALE=2'], include_dirs: ['config'] } },
      { allowPath: true },
    );
    assert.equal(again.fmu_id, up.fmu_id);
    assert.equal(again.already_stored, true);

    for (const iface of ['CS', 'ME'] as const) {
      const { output } = await simulate(t.ctx, { fmu_id: up.fmu_id, stop_time: 1, step: 0.1, interface: iface, start_values: { k: 1.5 } });
      const x = output.summary.x?.final;
      assert.ok(typeof x === 'number' && Math.abs(x - Math.exp(-1.5)) < 1e-4, `${iface}: ${x}`);
      assert.equal(output.provenance.fmu_id, up.fmu_id);
    }
    // A scale of 4 doubles k: the define really is what the binary was built with.
    const doubled = await uploadFmu(
      t.ctx,
      { path: fmuPath, compile_options: { include_dirs: ['config'], defines: ['DQ_SCALE=4'] } },
      { allowPath: true },
    );
    const { output } = await simulate(t.ctx, { fmu_id: doubled.fmu_id, stop_time: 1, step: 0.1, start_values: { k: 1.5 } });
    const x = output.summary.x?.final;
    assert.ok(typeof x === 'number' && Math.abs(x - Math.exp(-3)) < 1e-4, `scale 4: ${x}`);
  });

  test('refuses include dirs outside sources/ or missing, before storing anything', async () => {
    const before = readdirSync(t.ctx.fmuStore.dir).length;
    for (const dir of ['missing', 'config/../../..', '../resources', '/etc', 'a\\b']) {
      const schema = CompileOptionsSchema.safeParse({ include_dirs: [dir] });
      if (schema.success) {
        await assert.rejects(
          () => uploadFmu(t.ctx, { path: fmuPath, compile_options: { include_dirs: [dir] } }, { allowPath: true }),
          isCode('BAD_REQUEST'),
          dir,
        );
      } else {
        assert.ok(!UploadFmuInputSchema.safeParse({ path: fmuPath, compile_options: { include_dirs: [dir] } }).success, dir);
      }
    }
    assert.equal(readdirSync(t.ctx.fmuStore.dir).length, before);
  });

  test('defines are C identifiers with plain values; flags and shell text are refused by the schema', () => {
    for (const ok of ['A', 'A_1=2', 'X=-1.5e-3', 'NAME="a b:c/d"', '_p=Model_']) {
      assert.ok(CompileOptionsSchema.safeParse({ defines: [ok] }).success, ok);
    }
    for (const bad of [
      '-fplugin=/tmp/x.so',
      '1A=2',
      'A=1;rm -rf /',
      'A=$(id)',
      'A B',
      'A=`x`',
      'A="x"y"',
      'A=1\n#include "/etc/passwd"',
      '',
    ]) {
      assert.ok(!CompileOptionsSchema.safeParse({ defines: [bad] }).success, JSON.stringify(bad));
    }
  });

  test('compile options on an FMU without sources are refused', async () => {
    const out = join(work, 'binary-only.fmu');
    await buildFmu({ modelDir: join(ROOT, 'library', 'models', 'Dahlquist'), fmiVersion: '3.0', outFile: out });
    await assert.rejects(
      () => uploadFmu(t.ctx, { path: out, compile_options: { defines: ['X=1'] } }, { allowPath: true }),
      isCode('BAD_REQUEST'),
    );
  });

  test('a build with options has its own cache entry next to the plain one', () => {
    const entries = readdirSync(t.ctx.config.cacheDir).filter((n) => n.includes('-build'));
    assert.ok(
      entries.some((n) => /-build-[0-9a-f]{16}$/.test(n)),
      entries.join(', '),
    );
    assert.ok(entries.every((n) => existsSync(join(t.ctx.config.cacheDir, n))));
  });
});
