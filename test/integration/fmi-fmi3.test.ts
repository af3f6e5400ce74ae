/**
 * The FMI 3.0 binding against real FMUs compiled from test/fixtures: exact round trips of
 * every scalar type (Int64/UInt64 extremes, Binary, String), call failures with the log.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

describe('FMI 3.0 binding', () => {
  let types: OpenedFmu;
  let lag: OpenedFmu;
  before(async () => {
    types = openFixture(await buildFixture('types3', '3.0'));
    lag = openFixture(await buildFixture('lag', '3.0'));
  });

  const vr = (name: string): Uint32Array => {
    const v = types.modelDescription.variables.find((x) => x.name === name);
    assert.ok(v, name);
    return Uint32Array.of(v.value_reference);
  };

  it('round-trips every numeric type at its extremes through the instance API', () => {
    const lib = loadFmiLibrary(types, 'CS');
    const inst = lib.instantiate({ interface: 'CS' });
    try {
      inst.enterInitializationMode(0, 1, undefined);
      inst.exitInitializationMode();
      const cases: [string, string, ArrayLike<number | bigint> & { length: number }, () => ArrayLike<number | bigint>][] = [
        ['Float32', 'f32', Float32Array.of(-3.4028234663852886e38), () => new Float32Array(1)],
        ['Float64', 'f64', Float64Array.of(Number.MIN_VALUE), () => new Float64Array(1)],
        ['Int8', 'i8', Int8Array.of(-128), () => new Int8Array(1)],
        ['UInt8', 'u8', Uint8Array.of(255), () => new Uint8Array(1)],
        ['Int16', 'i16', Int16Array.of(-32768), () => new Int16Array(1)],
        ['UInt16', 'u16', Uint16Array.of(65535), () => new Uint16Array(1)],
        ['Int32', 'i32', Int32Array.of(-2147483648), () => new Int32Array(1)],
        ['UInt32', 'u32', Uint32Array.of(4294967295), () => new Uint32Array(1)],
        ['Int64', 'i64', BigInt64Array.of(-(2n ** 63n)), () => new BigInt64Array(1)],
        ['UInt64', 'u64', BigUint64Array.of(2n ** 64n - 1n), () => new BigUint64Array(1)],
        ['Boolean', 'b', Uint8Array.of(1), () => new Uint8Array(1)],
      ];
      for (const [type, prefix, value, make] of cases) {
        inst.setNumeric(type as never, vr(`${prefix}_in`), value as never);
        const out = make();
        inst.getNumeric(type as never, vr(`${prefix}_out`), out as never);
        assert.equal(out[0], value[0], type);
        // The prepared (native-memory) path gives the same value.
        const prepared = inst.prepareGet?.(type as never, vr(`${prefix}_out`));
        prepared?.run();
        assert.equal(prepared?.values[0], value[0], `${type} prepared`);
      }
      inst.setStrings(vr('s_in'), ['ünïcode ✓']);
      assert.deepEqual(inst.getStrings(vr('s_out')), ['ünïcode ✓']);
      const blob = Uint8Array.of(0, 1, 2, 255, 0);
      inst.setBinary(vr('bin_in'), [blob]);
      assert.deepEqual(inst.getBinary(vr('bin_out')), [blob]);
      inst.terminate();
    } finally {
      inst.free();
      lib.unload();
    }
  });

  it('round-trips every type through start values and recorded columns', () => {
    const r = runSimulation(types, {
      startTime: 0,
      stopTime: 0.1,
      outputInterval: 0.1,
      startValues: {
        f64_in: -2.5,
        i8_in: 127,
        u16_in: 65535,
        i64_in: '9007199254740993',
        u64_in: 42,
        b_in: true,
        s_in: 'abc',
        bin_in: 'deadbeef',
      },
    });
    const col = (n: string) => r.columns.find((c) => c.name === n)?.values;
    assert.deepEqual([...(col('f64_out') as Float64Array)], [-2.5, -2.5]);
    assert.deepEqual([...(col('i8_out') as Float64Array)], [127, 127]);
    assert.deepEqual([...(col('u16_out') as Float64Array)], [65535, 65535]);
    // Columns are doubles: Int64 beyond 2^53 is reported as the nearest double.
    assert.deepEqual([...(col('i64_out') as Float64Array)], [9007199254740992, 9007199254740992]);
    assert.deepEqual([...(col('b_out') as Float64Array)], [1, 1]);
    assert.deepEqual(col('s_out'), ['abc', 'abc']);
    assert.deepEqual(col('bin_out'), ['deadbeef', 'deadbeef']);
  });

  it('feeds Int8 and Boolean input signals through with hold semantics', () => {
    const r = runSimulation(types, {
      startTime: 0,
      stopTime: 1,
      outputInterval: 0.25,
      inputSignals: [
        { name: 'i8_in', time: [0, 0.5], values: [-100, 100] },
        { name: 'b_in', time: [0, 0.75], values: [true, false] },
      ],
      outputs: ['i8_out', 'b_out'],
    });
    assert.deepEqual([...(r.columns[0]?.values as Float64Array)], [-100, -100, 100, 100, 100]);
    assert.deepEqual([...(r.columns[1]?.values as Float64Array)], [1, 1, 1, 0, 0]);
  });

  it('fails instantiation with a wrong instantiation token as FMI_CALL_FAILED with the FMU log', async () => {
    const bad = openFixture(
      await buildFixture('lag', '3.0', {
        mutateXml: (xml) => xml.replace(/instantiationToken="[^"]*"/, 'instantiationToken="{wrong-token}"'),
      }),
    );
    assert.throws(
      () => runSimulation(bad, { startTime: 0, stopTime: 1, outputInterval: 0.1 }),
      (e: { code: string; data: { function: string; log: string[] } }) => {
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal(e.data.function, 'fmi3InstantiateCoSimulation');
        assert.ok(
          e.data.log.some((l) => l.includes('{wrong-token}')),
          e.data.log.join('\n'),
        );
        return true;
      },
    );
  });

  it('turns an Error status into FMI_CALL_FAILED naming the function and status', () => {
    assert.throws(
      () => runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { tau: -1 } }),
      (e: { code: string; data: { function: string; status: string; log: string[] } }) => {
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal(e.data.function, 'fmi3ExitInitializationMode');
        assert.equal(e.data.status, 'Error');
        assert.ok(
          e.data.log.some((l) => l.includes('tau must be > 0, got -1')),
          e.data.log.join('\n'),
        );
        return true;
      },
    );
  });
});
