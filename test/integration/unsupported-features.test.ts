/**
 * Valid FMI 3 FMUs using features the gateway does not run are refused with UNSUPPORTED_FEATURE
 * naming the feature (never MODEL_DESCRIPTION_INVALID): Scheduled Execution only, no simulation
 * interface at all (terminals/icons only), clocks. Fixtures are real FMUs (library Dahlquist,
 * compiled from C) whose modelDescription.xml is rewritten the way such exports look.
 */
import assert from 'node:assert/strict';
import AdmZip from 'adm-zip';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { parseModelDescription } from '../../src/fmi/model-description.ts';
import { runSimulation } from '../../src/engine/run.ts';
import { simulate, uploadFmu } from '../../src/service/index.ts';
import { toErrorOutput } from '../../src/schemas/errors.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import { createTestContext } from './service-helpers.ts';

/** Both interface elements replaced by <ScheduledExecution>. */
const scheduledOnly = (xml: string): string =>
  xml.replace(/<ModelExchange[^>]*\/>/, '<ScheduledExecution modelIdentifier="Dahlquist"/>').replace(/\s*<CoSimulation[^>]*\/>/, '');
/** No interface element at all: an FMU that carries only terminals and icons. */
const noInterface = (xml: string): string => xml.replace(/\s*<ModelExchange[^>]*\/>/, '').replace(/\s*<CoSimulation[^>]*\/>/, '');
/** An input clock (and nothing else changed): valid FMI 3, needs clock handling to run. */
const withClock = (xml: string): string =>
  xml.replace(
    '<ModelVariables>',
    '<ModelVariables>\n    <Clock name="tick" valueReference="900" causality="input" intervalVariability="triggered"/>',
  );

function expectUnsupported(feature: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.code, 'UNSUPPORTED_FEATURE', e.message);
    assert.equal(e.data?.feature, feature);
    const out = toErrorOutput(e);
    assert.ok(out.status === 'error' && typeof out.error.hint === 'string');
    return true;
  };
}

describe('unsupported FMI features', () => {
  const built: Record<string, string> = {};
  let t: ReturnType<typeof createTestContext>;
  before(async () => {
    built.se = await buildLibraryModel('Dahlquist', '3.0', { mutateXml: scheduledOnly });
    built.none = await buildLibraryModel('Dahlquist', '3.0', { mutateXml: noInterface });
    built.clock = await buildLibraryModel('Dahlquist', '3.0', { mutateXml: withClock });
    t = createTestContext(new Map());
  });
  after(() => t.cleanup());

  test('an FMU with only Scheduled Execution is refused at upload, nothing stored', async () => {
    await assert.rejects(
      () => uploadFmu(t.ctx, { path: built.se as string }, { allowPath: true }),
      expectUnsupported('scheduled_execution'),
    );
    assert.deepEqual(readdirSafe(t.ctx.fmuStore.dir), []);
  });

  test('an FMU with no simulation interface (terminals and icons only) is refused naming that', async () => {
    await assert.rejects(
      () => uploadFmu(t.ctx, { path: built.none as string }, { allowPath: true }),
      expectUnsupported('no_simulation_interface'),
    );
  });

  test('an FMU with clocks uploads with a warning, and simulating it is refused before any native code', async () => {
    const up = await uploadFmu(t.ctx, { path: built.clock as string }, { allowPath: true });
    assert.ok(
      up.warnings.some((w) => /clocks/.test(w) && /tick/.test(w)),
      up.warnings.join('; '),
    );
    await assert.rejects(simulate(t.ctx, { fmu_id: up.fmu_id, stop_time: 1 } as never), expectUnsupported('clocks'));
    // The engine entry point (TS API, workers) refuses it too, not only the service.
    const opened = openFixture(built.clock as string);
    assert.throws(
      () =>
        runSimulation(opened, {
          startTime: 0,
          stopTime: 1,
          outputInterval: 0.1,
        } as never),
      expectUnsupported('clocks'),
    );
  });

  test('parser: the same documents are valid FMI 3, not MODEL_DESCRIPTION_INVALID', () => {
    const xml = readXml(built.clock as string);
    const md = parseModelDescription(xml);
    assert.ok(md.variables.some((v) => v.name === 'tick' && v.type === 'Clock'));
    assert.throws(() => parseModelDescription(readXml(built.se as string)), expectUnsupported('scheduled_execution'));
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** modelDescription.xml straight from the zip (openFmu refuses some of these files itself). */
function readXml(fmuPath: string): string {
  return new AdmZip(fmuPath).readAsText('modelDescription.xml');
}
