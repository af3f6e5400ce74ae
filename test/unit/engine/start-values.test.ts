import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStartValues, planStartValues } from '../../../src/engine/start-values.ts';
import type { FmiInstance, NumericBuffer } from '../../../src/fmi/instance.ts';
import type { ModelDescription, ModelVariable } from '../../../src/schemas/model-description.ts';

function v(
  name: string,
  vr: number,
  type: ModelVariable['type'],
  causality: ModelVariable['causality'],
  variability: ModelVariable['variability'],
  extra: Partial<ModelVariable> = {},
): ModelVariable {
  return { name, value_reference: vr, type, causality, variability, ...extra };
}

function md(fmiVersion: '2.0' | '3.0'): ModelDescription {
  return {
    fmi_version: fmiVersion,
    model_name: 'M',
    guid: 'g',
    number_of_event_indicators: 0,
    number_of_continuous_states: 0,
    unit_definitions: [],
    type_definitions: [
      {
        name: 'Mode',
        type: 'Enumeration',
        items: [
          { name: 'off', value: 1 },
          { name: 'on', value: 2 },
        ],
      },
    ],
    variables: [
      v('time', 0, 'Float64', 'independent', 'continuous'),
      v('k', 1, 'Float64', 'parameter', 'fixed', { start: 1, min: 0, max: 10 }),
      v('u', 2, 'Float64', 'input', 'continuous', { start: 0 }),
      v('y', 3, 'Float64', 'output', 'continuous'),
      v('x', 4, 'Float64', 'output', 'continuous', { initial: 'exact', start: 1 }),
      v('c', 5, 'Float64', 'local', 'constant', { start: 3 }),
      v('cp', 6, 'Float64', 'calculatedParameter', 'fixed'),
      v('flag', 7, 'Boolean', 'parameter', 'fixed', { start: false }),
      v('label', 8, 'String', 'parameter', 'fixed', { start: 'a' }),
      v('n8', 9, 'Int8', 'parameter', 'fixed', { start: 0 }),
      v('i64', 10, 'Int64', 'parameter', 'fixed', { start: 0 }),
      v('u64', 11, 'UInt64', 'parameter', 'fixed', { start: 0 }),
      v('mode', 12, 'Enumeration', 'parameter', 'fixed', { start: 1, declared_type: 'Mode' }),
      v('blob', 13, 'Binary', 'parameter', 'fixed'),
      v('n', 14, 'Int32', 'parameter', 'fixed', { start: 0 }),
      v('f32', 15, 'Float32', 'parameter', 'fixed', { start: 0 }),
    ],
    model_structure: { outputs: ['y', 'x'], continuous_state_derivatives: [], initial_unknowns: [], event_indicators: [] },
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('start values', () => {
  it('accepts parameters, inputs and exact outputs of every type and converts them', () => {
    const plan = planStartValues(md('3.0'), {
      k: 2.5,
      u: 1,
      x: 4,
      flag: true,
      label: 'hello',
      n8: -128,
      i64: '-9223372036854775808',
      u64: '18446744073709551615',
      mode: 'on',
      blob: '00ff10',
      n: 7,
    });
    const byName = new Map(plan.entries.map((e) => [e.variable.name, e.value]));
    assert.equal(byName.get('k'), 2.5);
    assert.equal(byName.get('flag'), 1);
    assert.equal(byName.get('label'), 'hello');
    assert.equal(byName.get('n8'), -128);
    assert.equal(byName.get('i64'), -(2n ** 63n));
    assert.equal(byName.get('u64'), 2n ** 64n - 1n);
    assert.equal(byName.get('mode'), 2n);
    assert.deepEqual(byName.get('blob'), Uint8Array.from([0, 255, 16]));
  });

  it('sets FMI 2 inputs in Initialization Mode and FMI 3 inputs before it', () => {
    const p2 = planStartValues(md('2.0'), { u: 1, k: 2 });
    assert.deepEqual(
      p2.entries.map((e) => [e.variable.name, e.phase]),
      [
        ['u', 'initialization'],
        ['k', 'instantiated'],
      ],
    );
    const p3 = planStartValues(md('3.0'), { u: 1 });
    assert.equal(p3.entries[0]?.phase, 'instantiated');
  });

  it('rejects an unknown name with UNKNOWN_VARIABLE and close matches', () => {
    assert.throws(
      () => planStartValues(md('3.0'), { K: 1 }),
      (e: { code: string; data: { suggestions: string[] } }) => {
        assert.equal(e.code, 'UNKNOWN_VARIABLE');
        assert.ok(e.data.suggestions.includes('k'));
        return true;
      },
    );
  });

  const refusals: [string, Record<string, unknown>][] = [
    ['a constant', { c: 1 }],
    ['a calculated output', { y: 1 }],
    ['a calculatedParameter', { cp: 1 }],
    ['the independent variable', { time: 1 }],
    ['a string for a Float64', { k: '2' }],
    ['NaN for a Float64', { k: Number.NaN }],
    ['1e39 for a Float32 (it would become Infinity)', { f32: 1e39 }],
    ['a value above max', { k: 11 }],
    ['a number for a String', { label: 3 }],
    ['2 for a Boolean', { flag: 2 }],
    ['a fraction for an Int32', { n: 1.5 }],
    ['-129 for an Int8', { n8: -129 }],
    ['2^63 for an Int64', { i64: '9223372036854775808' }],
    ['-1 for a UInt64', { u64: -1 }],
    ['an unknown enumeration item', { mode: 'auto' }],
    ['an odd hex string for a Binary', { blob: 'abc' }],
    ['an array for a scalar', { k: [1, 2] }],
  ];
  for (const [what, values] of refusals) {
    it(`rejects ${what} with INVALID_START_VALUE`, () => {
      assert.equal(
        codeOf(() => planStartValues(md('3.0'), values as never)),
        'INVALID_START_VALUE',
      );
    });
  }

  it('applies one set call per type and phase with typed buffers', () => {
    const calls: { type: string; vrs: number[]; values: unknown[] }[] = [];
    const instance = {
      fmiVersion: '3.0',
      setNumeric(type: string, vrs: Uint32Array, values: NumericBuffer) {
        calls.push({ type, vrs: [...vrs], values: [...(values as unknown as Iterable<unknown>)] });
      },
      setStrings(vrs: Uint32Array, values: readonly string[]) {
        calls.push({ type: 'String', vrs: [...vrs], values: [...values] });
      },
      setBinary(vrs: Uint32Array, values: readonly Uint8Array[]) {
        calls.push({ type: 'Binary', vrs: [...vrs], values: [...values] });
      },
    } as unknown as FmiInstance;
    const plan = planStartValues(md('3.0'), { k: 2, x: 3, i64: '9223372036854775807', label: 's', blob: '01' });
    applyStartValues(instance, plan, 'instantiated');
    applyStartValues(instance, plan, 'initialization');
    assert.deepEqual(calls, [
      { type: 'Float64', vrs: [1, 4], values: [2, 3] },
      { type: 'Int64', vrs: [10], values: [2n ** 63n - 1n] },
      { type: 'String', vrs: [8], values: ['s'] },
      { type: 'Binary', vrs: [13], values: [Uint8Array.from([1])] },
    ]);
  });
});
