/**
 * The FMI 2.0 binding against real FMUs compiled from test/fixtures: logging with printf
 * arguments, load and call failures, and exact round trips of every FMI 2 type.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import type { LogRecord } from '../../src/fmi/instance.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

const WRONG_GUID = '{00000000-1111-2222-3333-444444444444}';

describe('FMI 2.0 binding', () => {
  let raw: OpenedFmu;
  let lag: OpenedFmu;
  let types: OpenedFmu;
  before(async () => {
    raw = openFixture(await buildFixture('raw-fmi2', '2.0', { raw: true }));
    lag = openFixture(await buildFixture('lag', '2.0'));
    types = openFixture(await buildFixture('types2', '2.0'));
  });

  it('formats the variadic arguments of the FMU logger (ints, long long, doubles, strings, %%)', () => {
    const lib = loadFmiLibrary(raw, 'CS');
    const records: LogRecord[] = [];
    const inst = lib.instantiate({ interface: 'CS', instanceName: 'logger-test', onLog: (r) => records.push(r) });
    try {
      const expected = `instantiated raw-fmi2: answer=42 neg=-7 hex=ff big=1234567890123 gain=2.5 pi=3.142 tiny=1.500000e-07 done=100% guid=${raw.modelDescription.guid}`;
      assert.equal(records[0]?.message, expected);
      assert.equal(records[0]?.status, 'OK');
      assert.equal(records[0]?.category, 'logAll');
      assert.equal(records[0]?.instance, 'logger-test');
      assert.ok(inst.lastLogLines().some((l) => l.endsWith(expected)));
    } finally {
      inst.free();
      lib.unload();
    }
  });

  it('fails instantiation with a wrong GUID as FMI_CALL_FAILED carrying the FMU log line', async () => {
    const bad = openFixture(
      await buildFixture('lag', '2.0', {
        mutateXml: (xml) => xml.replace(/guid="[^"]*"/, 'guid="{00000000-1111-2222-3333-444444444444}"'),
      }),
    );
    assert.equal(bad.modelDescription.guid, WRONG_GUID);
    assert.throws(
      () => runSimulation(bad, { startTime: 0, stopTime: 1, outputInterval: 0.1 }),
      (e: { code: string; message: string; data: { function: string; log: string[] } }) => {
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal(e.data.function, 'fmi2Instantiate');
        // The adapter logs "GUID '%s' does not match ... '%s'": both arguments formatted.
        assert.ok(
          e.data.log.some((l) => l.includes(`GUID '${WRONG_GUID}' does not match`)),
          e.data.log.join('\n'),
        );
        assert.match(e.message, /does not match/);
        return true;
      },
    );
  });

  it('fails loading with FMU_LOAD_FAILED naming a missing exported function', async () => {
    const missing = openFixture(await buildFixture('raw-fmi2', '2.0', { raw: true, cflags: ['-DOMIT_DO_STEP'] }));
    assert.throws(
      () => loadFmiLibrary(missing, 'CS'),
      (e: { code: string; message: string; data: { symbol: string } }) => {
        assert.equal(e.code, 'FMU_LOAD_FAILED');
        assert.equal(e.data.symbol, 'fmi2DoStep');
        assert.match(e.message, /fmi2DoStep/);
        return true;
      },
    );
  });

  it('turns an Error status into FMI_CALL_FAILED with the function, the status and the FMU log', () => {
    assert.throws(
      () => runSimulation(raw, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { fail_at: 0.35 } }),
      (e: { code: string; data: { function: string; status: string; log: string[] } }) => {
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal(e.data.function, 'fmi2DoStep');
        assert.equal(e.data.status, 'Error');
        assert.ok(
          e.data.log.some((l) => l.includes('t + h = 0.4 passed fail_at = 0.35')),
          e.data.log.join('\n'),
        );
        return true;
      },
    );
    assert.throws(
      () => runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { tau: 0 } }),
      (e: { code: string; data: { function: string; log: string[] } }) => {
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal(e.data.function, 'fmi2ExitInitializationMode');
        assert.ok(
          e.data.log.some((l) => l.includes('tau must be > 0, got 0')),
          e.data.log.join('\n'),
        );
        return true;
      },
    );
  });

  it('round-trips Real, Integer, Boolean and String values exactly through start values', () => {
    const values = { r_in: -Math.PI * 1e-300, i_in: -2147483648, b_in: true, s_in: 'héllo, wörld ✓' };
    const r = runSimulation(types, { startTime: 0, stopTime: 0.2, outputInterval: 0.1, startValues: values });
    const col = (n: string) => r.columns.find((c) => c.name === n)?.values;
    assert.deepEqual([...(col('r_out') as Float64Array)], [values.r_in, values.r_in, values.r_in]);
    assert.deepEqual([...(col('i_out') as Float64Array)], [-2147483648, -2147483648, -2147483648]);
    assert.deepEqual([...(col('b_out') as Float64Array)], [1, 1, 1]);
    assert.deepEqual(col('s_out'), [values.s_in, values.s_in, values.s_in]);
  });

  it('round-trips every type through the instance API (Int32 extremes, Boolean as C int)', () => {
    const lib = loadFmiLibrary(types, 'CS');
    const inst = lib.instantiate({ interface: 'CS' });
    try {
      inst.enterInitializationMode(0, 1, undefined);
      inst.exitInitializationMode();
      inst.setNumeric('Float64', Uint32Array.of(1), Float64Array.of(Math.PI));
      inst.setNumeric('Int32', Uint32Array.of(2), Int32Array.of(2147483647));
      inst.setNumeric('Boolean', Uint32Array.of(3), Int32Array.of(1));
      inst.setStrings(Uint32Array.of(4), ['abc']);
      const r = new Float64Array(1);
      const i = new Int32Array(2);
      inst.getNumeric('Float64', Uint32Array.of(5), r);
      inst.getNumeric('Int32', Uint32Array.of(6, 2), i);
      const b = new Int32Array(1);
      inst.getNumeric('Boolean', Uint32Array.of(7), b);
      assert.equal(r[0], Math.PI);
      assert.deepEqual([...i], [2147483647, 2147483647]);
      assert.equal(b[0], 1);
      assert.deepEqual(inst.getStrings(Uint32Array.of(8, 4)), ['abc', 'abc']);
      assert.throws(() => inst.getNumeric('Int64', Uint32Array.of(2), new BigInt64Array(1)), { code: 'BAD_REQUEST' });
      inst.terminate();
      assert.equal(inst.worstStatus, 'OK');
    } finally {
      inst.free();
      inst.free(); // idempotent
      lib.unload();
    }
  });

  it('unregisters the logger callback after free (more instances than koffi has callback slots)', () => {
    const lib = loadFmiLibrary(raw, 'CS');
    try {
      for (let k = 0; k < 8300; k++) lib.instantiate({ interface: 'CS', loggingOn: false }).free();
    } finally {
      lib.unload();
    }
  });
});
