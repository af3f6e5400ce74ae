/**
 * simulate_system / upload_system through the service layer: a JSON description and an SSP
 * archive of the quarter car (c: the .ssv parameter sets give the same result as the direct
 * description), the columns "component.variable" in summaries, KPIs and the stored result,
 * hostile archives refused with codes and no effect (e), and a crashing component named.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { simulateSystem } from '../../src/service/simulate-system.ts';
import { uploadFmu } from '../../src/service/upload-fmu.ts';
import { uploadSystem } from '../../src/service/upload-system.ts';
import { buildHostile } from '../fixtures/hostile/build.ts';
import { buildFixture } from '../helpers/fixtures.ts';
import { quarterCarSsp } from '../helpers/ssp-craft.ts';
import { craftZip } from '../helpers/zip-craft.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

let ctx: ServiceContext;
let cleanup = () => {};
let body = '';
let wheel = '';
let bodyId = '';
let wheelId = '';

const b64 = (p: string): string => readFileSync(p).toString('base64');

before(async () => {
  const built = await buildModels(['QuarterCar']);
  ({ ctx, cleanup } = createTestContext(built));
  body = await buildFixture('sys-body', '2.0');
  wheel = await buildFixture('sys-wheel', '3.0');
  bodyId = (await uploadFmu(ctx, { content_base64: b64(body) })).fmu_id;
  wheelId = (await uploadFmu(ctx, { content_base64: b64(wheel) })).fmu_id;
});
after(() => cleanup());

const connections: [string, string][] = [
  ['body.f_susp', 'wheel.f_susp'],
  ['wheel.z_u', 'body.z_u'],
  ['wheel.v_u', 'body.v_u'],
];

describe('simulate_system', () => {
  it('runs an inline description (FMI 2 body + FMI 3 wheel) and answers like simulate', async () => {
    const { output } = await simulateSystem(ctx, {
      system: { components: { body: bodyId, wheel: wheelId }, connections },
      stop_time: 3,
      step: 0.01,
      interface: 'ME',
      tolerance: 1e-8,
      outputs: ['body.z_s', 'wheel.z_u'],
      kpis: ['body.z_s_max', 'body.z_s_final'],
    });
    assert.equal(output.status, 'completed');
    assert.equal(output.rows, 301);
    assert.deepEqual(Object.keys(output.summary).sort(), ['body.z_s', 'wheel.z_u']);
    assert.ok(Math.abs((output.kpis['body.z_s_final'] as number) - 0.05) < 5e-3);
    assert.ok((output.kpis['body.z_s_max'] as number) > 0.05, 'the body overshoots the road step');
    assert.equal(output.series['body.z_s']?.length, 50);
    assert.equal(output.provenance.interface, 'ME');
    // The stored result has the same columns (get_result / CSV / Arrow read it).
    const file = await ctx.results.open(output.run_id);
    try {
      assert.equal(file.rows, 301);
    } finally {
      await file.close();
    }
  });

  it('refuses a solver with a Co-Simulation system and an unknown output name', async () => {
    await assert.rejects(
      simulateSystem(ctx, { system: { components: { body: bodyId, wheel: wheelId }, connections }, stop_time: 1, solver: 'bdf' }),
      isCode('BAD_REQUEST'),
    );
    await assert.rejects(
      simulateSystem(ctx, { system: { components: { body: bodyId, wheel: wheelId }, connections }, stop_time: 1, outputs: ['body.nope'] }),
      isCode('UNKNOWN_VARIABLE'),
    );
  });
});

describe('SSP import', () => {
  const params = { m_s: 300, k_s: 20000 };
  for (const version of ['1.0', '2.0'] as const) {
    it(`an SSP ${version} archive with .ssv parameter sets gives the same result as the direct description`, async () => {
      const up = await uploadSystem(ctx, {
        content_base64: quarterCarSsp(body, wheel, { version, bodyParams: params, systemParams: { 'wheel.m_u': 40 } }).toString('base64'),
      });
      assert.match(up.system_id, /^system:[0-9a-f]{64}$/);
      assert.deepEqual(Object.keys(up.components).sort(), ['body', 'wheel']);
      assert.equal(up.connections, 3);
      const viaSsp = await simulateSystem(ctx, {
        system_id: up.system_id,
        step: 0.01,
        interface: 'ME',
        tolerance: 1e-8,
        outputs: ['body.z_s'],
      });
      const direct = await simulateSystem(ctx, {
        system: {
          components: { body: bodyId, wheel: wheelId },
          connections,
          start_values: { 'body.m_s': 300, 'body.k_s': 20000, 'wheel.m_u': 40 },
        },
        stop_time: 3,
        step: 0.01,
        interface: 'ME',
        tolerance: 1e-8,
        outputs: ['body.z_s'],
      });
      assert.deepEqual(viaSsp.output.series, direct.output.series);
      assert.deepEqual(viaSsp.output.summary, direct.output.summary);
      // And the parameters took effect (positive control: the defaults give another answer).
      const defaults = await simulateSystem(ctx, {
        system: { components: { body: bodyId, wheel: wheelId }, connections },
        stop_time: 3,
        step: 0.01,
        interface: 'ME',
        tolerance: 1e-8,
        outputs: ['body.z_s'],
      });
      assert.notDeepEqual(defaults.output.summary, direct.output.summary);
    });
  }
});

describe('hostile SSP archives', () => {
  const storeState = (): string[] => {
    const list = (d: string): string[] => (existsSync(d) ? readdirSync(d).sort() : []);
    return [...list(join(ctx.config.dataDir, 'systems')), ...list(ctx.fmuStore.dir)];
  };
  const refused = async (bytes: Buffer, code: string, reason?: string): Promise<void> => {
    const before = storeState();
    await assert.rejects(uploadSystem(ctx, { content_base64: bytes.toString('base64') }), (e: unknown) => {
      assert.ok(isCode(code)(e), String(e));
      if (reason !== undefined) assert.equal((e as { data?: { reason?: string } }).data?.reason, reason, String(e));
      return true;
    });
    assert.deepEqual(storeState(), before, 'nothing was stored');
  };

  it('positive control: the benign archive is accepted', async () => {
    const up = await uploadSystem(ctx, { content_base64: quarterCarSsp(body, wheel).toString('base64') });
    assert.equal(up.status, 'ok');
  });

  it('refuses path traversal in an entry name and writes nothing outside', async () => {
    const outside = join(dirname(ctx.config.dataDir), 'evil-ssp.txt');
    await refused(quarterCarSsp(body, wheel, { extra: [{ name: '../evil-ssp.txt', data: 'pwned' }] }), 'SYSTEM_INVALID', 'path_traversal');
    assert.equal(existsSync(outside), false);
    await refused(
      quarterCarSsp(body, wheel, { mutateSsd: (x) => x.replace('source="resources/wheel.fmu"', 'source="../../../etc/passwd"') }),
      'SYSTEM_INVALID',
      'path_escape',
    );
    await refused(
      quarterCarSsp(body, wheel, { mutateSsd: (x) => x.replace('source="resources/wheel.fmu"', 'source="file:///etc/passwd"') }),
      'SYSTEM_INVALID',
      'path_escape',
    );
  });

  it('refuses XML entities (never expanded)', async () => {
    await refused(
      quarterCarSsp(body, wheel, {
        mutateSsd: (x) =>
          x.replace(
            '<ssd:SystemStructureDescription',
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<ssd:SystemStructureDescription',
          ),
      }),
      'SYSTEM_INVALID',
    );
  });

  it('refuses a missing component FMU', async () => {
    await refused(
      quarterCarSsp(body, wheel, { mutateSsd: (x) => x.replace('source="resources/wheel.fmu"', 'source="resources/missing.fmu"') }),
      'SYSTEM_INVALID',
      'missing_component',
    );
  });

  it('refuses a connector type mismatch (declared, and against the FMU)', async () => {
    await refused(
      quarterCarSsp(body, wheel, {
        mutateSsd: (x) =>
          x.replace('<ssd:Connector name="z_u" kind="output"><ssc:Real/>', '<ssd:Connector name="z_u" kind="output"><ssc:Integer/>'),
      }),
      'SYSTEM_INVALID',
      'type_mismatch',
    );
  });

  it('refuses unsupported elements by name', async () => {
    const nested = '<ssd:System name="inner"/>';
    await assert.rejects(
      uploadSystem(ctx, {
        content_base64: quarterCarSsp(body, wheel, { mutateSsd: (x) => x.replace('</ssd:Elements>', `${nested}</ssd:Elements>`) }).toString(
          'base64',
        ),
      }),
      (e: unknown) => isCode('UNSUPPORTED_FEATURE')(e) && (e as { data?: { feature?: string } }).data?.feature === 'System',
    );
    await assert.rejects(
      uploadSystem(ctx, {
        content_base64: quarterCarSsp(body, wheel, {
          mutateSsd: (x) =>
            x.replace('endConnector="f_susp"/>', 'endConnector="f_susp"><ssc:LinearTransformation factor="2"/></ssd:Connection>'),
        }).toString('base64'),
      }),
      (e: unknown) => isCode('UNSUPPORTED_FEATURE')(e) && (e as { data?: { feature?: string } }).data?.feature === 'LinearTransformation',
    );
  });

  it('refuses an archive without SystemStructure.ssd', async () => {
    await refused(craftZip([{ name: 'resources/body.fmu', data: readFileSync(body) }]), 'SYSTEM_INVALID', 'missing_file');
  });
});

describe('isolation', () => {
  it('a crash of one component ends the run with FMU_CRASHED naming it', async () => {
    const crasher = (await uploadFmu(ctx, { content_base64: b64(await buildHostile('segfault')) })).fmu_id;
    const decay = (await uploadFmu(ctx, { content_base64: b64(await buildFixture('sys-decay', '2.0')) })).fmu_id;
    const pool = createWorkerPool({ size: 1, cacheDir: ctx.config.cacheDir, sandbox: 'auto', timeoutMs: 20_000 });
    try {
      await assert.rejects(
        simulateSystem(
          { ...ctx, runner: pool },
          {
            system: { components: { calm: decay, crasher }, connections: [], start_values: { 'crasher.t_crash': 0.5 } },
            stop_time: 1,
            step: 0.01,
          },
        ),
        (e: unknown) => {
          assert.ok(isCode('FMU_CRASHED')(e), String(e));
          assert.equal((e as { data?: { component?: string } }).data?.component, 'crasher');
          return true;
        },
      );
      // Positive control: the same system runs when the crash time is past the stop time.
      const { output } = await simulateSystem(
        { ...ctx, runner: pool },
        {
          system: { components: { calm: decay, crasher }, connections: [], start_values: { 'crasher.t_crash': 5 } },
          stop_time: 1,
          step: 0.01,
        },
      );
      assert.equal(output.status, 'completed');
    } finally {
      await pool.close();
    }
  });
});
