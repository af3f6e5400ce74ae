import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileInputs } from '../../../src/engine/inputs.ts';
import type { FmiInstance, NumericBuffer } from '../../../src/fmi/instance.ts';
import type { ModelDescription, ModelVariable } from '../../../src/schemas/model-description.ts';

function variable(
  name: string,
  vr: number,
  type: ModelVariable['type'],
  causality: ModelVariable['causality'],
  variability: ModelVariable['variability'],
): ModelVariable {
  return { name, value_reference: vr, type, causality, variability };
}

function md(fmiVersion: '2.0' | '3.0' = '3.0'): ModelDescription {
  return {
    fmi_version: fmiVersion,
    model_name: 'M',
    guid: 'g',
    number_of_event_indicators: 0,
    number_of_continuous_states: 0,
    unit_definitions: [],
    type_definitions: [],
    variables: [
      variable('u', 1, 'Float64', 'input', 'continuous'),
      variable('ud', 2, 'Float64', 'input', 'discrete'),
      variable('n', 3, 'Int32', 'input', 'discrete'),
      variable('b', 4, 'Boolean', 'input', 'discrete'),
      variable('k', 5, 'Float64', 'parameter', 'fixed'),
      variable('s', 6, 'String', 'input', 'discrete'),
      variable('big', 7, 'Int64', 'input', 'discrete'),
      variable('f32', 8, 'Float32', 'input', 'continuous'),
    ],
    model_structure: { outputs: [], continuous_state_derivatives: [], initial_unknowns: [], event_indicators: [] },
  };
}

/** Records what apply() sets, per type. */
function fakeInstance(): { instance: FmiInstance; sets: Map<string, number[]> } {
  const sets = new Map<string, number[]>();
  const instance = {
    fmiVersion: '3.0',
    setNumeric(type: string, vrs: Uint32Array, values: NumericBuffer) {
      vrs.forEach((vr, i) => sets.set(`${type}:${vr}`, [...(sets.get(`${type}:${vr}`) ?? []), Number(values[i])]));
    },
  } as unknown as FmiInstance;
  return { instance, sets };
}

const TOL = 1e-12;

describe('input signals', () => {
  it('interpolates continuous Float inputs linearly and holds the ends', () => {
    const plan = compileInputs(md(), [{ name: 'u', time: [1, 2, 4], values: [10, 20, 0] }]);
    assert.equal(plan.signals[0]?.interpolation, 'linear');
    const cases: [number, number][] = [
      [0, 10],
      [1, 10],
      [1.5, 15],
      [2, 20],
      [3, 10],
      [3.5, 5],
      [4, 0],
      [9, 0],
    ];
    for (const [t, expected] of cases)
      assert.ok(Math.abs(plan.valueAt(0, t) - expected) < TOL, `u(${t}) = ${plan.valueAt(0, t)}, expected ${expected}`);
  });

  it('holds discrete, integer and boolean inputs at the last sample at or before t', () => {
    const plan = compileInputs(md(), [
      { name: 'ud', time: [0, 1, 2], values: [1, 2, 3] },
      { name: 'n', time: [0, 1], values: [5, 7] },
      { name: 'b', time: [0, 0.5], values: [false, true] },
    ]);
    assert.deepEqual(
      plan.signals.map((s) => s.interpolation),
      ['hold', 'hold', 'hold'],
    );
    assert.equal(plan.valueAt(0, 0.999), 1);
    assert.equal(plan.valueAt(0, 1), 2);
    assert.equal(plan.valueAt(0, 1.5), 2);
    assert.equal(plan.valueAt(1, 0.99), 5);
    assert.equal(plan.valueAt(1, 1), 7);
    assert.equal(plan.valueAt(2, 0.49), 0);
    assert.equal(plan.valueAt(2, 0.5), 1);
  });

  it('treats a repeated time as a jump that takes effect at that time', () => {
    const plan = compileInputs(md(), [{ name: 'u', time: [0, 1, 1, 2], values: [0, 1, 5, 5] }]);
    assert.ok(Math.abs(plan.valueAt(0, 0.5) - 0.5) < TOL);
    assert.ok(Math.abs(plan.valueAt(0, 0.999999) - 0.999999) < 1e-9);
    assert.equal(plan.valueAt(0, 1), 5);
    assert.equal(plan.valueAt(0, 1.5), 5);
    assert.equal(plan.nextDiscontinuity(0), 1);
    assert.equal(plan.nextDiscontinuity(1), Infinity);
  });

  it('gives the same values when evaluated backwards (cursor walks back)', () => {
    const plan = compileInputs(md(), [{ name: 'u', time: [0, 1, 2, 3], values: [0, 10, 20, 30] }]);
    for (const t of [2.5, 0.5, 2.9, 0.1, 1]) assert.ok(Math.abs(plan.valueAt(0, t) - 10 * t) < 1e-9, `t=${t}`);
  });

  it('honours an explicit hold on a continuous input', () => {
    const plan = compileInputs(md(), [{ name: 'u', time: [0, 1], values: [3, 4], interpolation: 'hold' }]);
    assert.equal(plan.valueAt(0, 0.9), 3);
  });

  it('sets each type group with one call and converts booleans to 0/1', () => {
    const plan = compileInputs(md(), [
      { name: 'u', time: [0, 1], values: [0, 1] },
      { name: 'b', time: [0, 1], values: [false, true] },
      { name: 'big', time: [0, 1], values: [-5, 9007199254740991] },
    ]);
    const { instance, sets } = fakeInstance();
    plan.apply(instance, 0.25);
    plan.apply(instance, 1);
    assert.deepEqual(sets.get('Float64:1'), [0.25, 1]);
    assert.deepEqual(sets.get('Boolean:4'), [0, 1]);
    assert.deepEqual(sets.get('Int64:7'), [-5, 9007199254740991]);
  });

  const rejects: [string, object][] = [
    ['an unknown input', { name: 'uu', time: [0], values: [1] }],
    ['a non-input variable', { name: 'k', time: [0], values: [1] }],
    ['time and values of different lengths', { name: 'u', time: [0, 1], values: [1] }],
    ['decreasing time', { name: 'u', time: [0, 2, 1], values: [1, 2, 3] }],
    ['a non-finite value', { name: 'u', time: [0, 1], values: [1, Number.NaN] }],
    ['a non-finite time', { name: 'u', time: [0, Number.POSITIVE_INFINITY], values: [1, 2] }],
    ['an empty signal', { name: 'u', time: [], values: [] }],
    ['a fractional value for an integer input', { name: 'n', time: [0], values: [1.5] }],
    ['a value out of Int32 range', { name: 'n', time: [0], values: [2 ** 31] }],
    ['a value beyond the Float32 range (it would become Infinity)', { name: 'f32', time: [0], values: [-1e39] }],
    ['2 for a Boolean input', { name: 'b', time: [0], values: [2] }],
    ['linear interpolation of an integer input', { name: 'n', time: [0], values: [1], interpolation: 'linear' }],
  ];
  for (const [what, signal] of rejects) {
    it(`rejects ${what} with INVALID_INPUT_SIGNAL`, () => {
      assert.throws(() => compileInputs(md(), [signal as never]), { code: 'INVALID_INPUT_SIGNAL' });
    });
  }

  it('rejects the same input given twice', () => {
    const s = { name: 'u', time: [0], values: [1] };
    assert.throws(() => compileInputs(md(), [s, s]), { code: 'INVALID_INPUT_SIGNAL' });
  });

  it('suggests close input names for an unknown input', () => {
    assert.throws(
      () => compileInputs(md(), [{ name: 'U', time: [0], values: [1] }]),
      (e: { code: string; data: { suggestions: string[] } }) => {
        assert.equal(e.code, 'INVALID_INPUT_SIGNAL');
        assert.ok(e.data.suggestions.includes('u'));
        return true;
      },
    );
  });
});

describe('input signals: discrete inputs, exact 64-bit integers, strings', () => {
  /** Records every set call with its exact values (BigInts kept). */
  function recorder() {
    const calls: { type: string; vrs: number[]; values: unknown[] }[] = [];
    const instance = {
      fmiVersion: '3.0',
      setNumeric(type: string, vrs: Uint32Array, values: NumericBuffer, nValues?: number) {
        calls.push({ type, vrs: [...vrs], values: [...values.subarray(0, nValues ?? vrs.length)] });
      },
      setStrings(vrs: Uint32Array, values: readonly string[]) {
        calls.push({ type: 'String', vrs: [...vrs], values: [...values] });
      },
    } as unknown as FmiInstance;
    return { instance, calls };
  }

  it('applyContinuous sets only continuous inputs; apply sets the discrete ones too', () => {
    const plan = compileInputs(md(), [
      { name: 'u', time: [0, 1], values: [0, 1] },
      { name: 'ud', time: [0, 1], values: [5, 6] },
      { name: 'n', time: [0, 1], values: [1, 2] },
    ]);
    assert.equal(plan.hasDiscrete, true);
    const { instance, calls } = recorder();
    plan.applyContinuous(instance, 0.5);
    assert.deepEqual(calls, [{ type: 'Float64', vrs: [1], values: [0.5] }]);
    calls.length = 0;
    plan.apply(instance, 0.5);
    assert.deepEqual(
      calls.map((c) => [c.type, c.vrs, c.values]),
      [
        ['Float64', [1], [0.5]],
        ['Float64', [2], [5]],
        ['Int32', [3], [1]],
      ],
    );
  });

  it('keeps Int64 values exact over the full range, from numbers and decimal strings', () => {
    const plan = compileInputs(md(), [{ name: 'big', time: [0, 1, 2], values: [-9223372036854775808, '9223372036854775807', 2 ** 62] }]);
    const { instance, calls } = recorder();
    for (const t of [0, 1, 2]) plan.apply(instance, t);
    assert.deepEqual(
      calls.map((c) => c.values[0]),
      [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 62n],
    );
    assert.equal(plan.nextDiscontinuity(0), 1);
  });

  it('sets String inputs held, only when their value changes', () => {
    const plan = compileInputs(md(), [{ name: 's', time: [0, 1, 2], values: ['a', 'a', 'b'] }]);
    const { instance, calls } = recorder();
    for (const t of [0, 0.5, 1, 1.5, 2]) plan.apply(instance, t);
    assert.deepEqual(
      calls.map((c) => c.values[0]),
      ['a', 'b'],
    );
    assert.equal(plan.nextDiscontinuity(0), 2);
  });

  const rejects: [string, object][] = [
    ['linear interpolation of a discrete Float input', { name: 'ud', time: [0, 1], values: [0, 1], interpolation: 'linear' }],
    ['2^63 for an Int64 input', { name: 'big', time: [0], values: ['9223372036854775808'] }],
    ['a number for a String input', { name: 's', time: [0], values: [1] }],
    ['an array for a scalar input', { name: 'u', time: [0], values: [[1, 2]] }],
  ];
  for (const [what, signal] of rejects) {
    it(`rejects ${what} with INVALID_INPUT_SIGNAL`, () => {
      assert.throws(() => compileInputs(md(), [signal as never]), { code: 'INVALID_INPUT_SIGNAL' });
    });
  }
});
