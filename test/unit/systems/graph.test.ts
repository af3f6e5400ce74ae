/** The connection graph: algebraic loops from direct feedthrough only, evaluation order, Gauss–Seidel order; unit conversions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import type { ModelDescription, ModelVariable } from '../../../src/schemas/model-description.ts';
import { feedthroughInputs, gaussSeidelOrder, orderConnections } from '../../../src/systems/graph.ts';
import { unitConversion } from '../../../src/systems/units.ts';

function md(
  name: string,
  vars: [string, 'input' | 'output'][],
  deps?: Record<string, string[]>,
  units: ModelDescription['unit_definitions'] = [],
): ModelDescription {
  const variables: ModelVariable[] = vars.map(([n, causality], i) => ({
    name: n,
    value_reference: i,
    type: 'Float64',
    causality,
    variability: 'continuous',
  }));
  return {
    fmi_version: '2.0',
    model_name: name,
    guid: name,
    number_of_event_indicators: 0,
    number_of_continuous_states: 0,
    unit_definitions: units,
    type_definitions: [],
    variables,
    model_structure: {
      outputs: vars.filter((v) => v[1] === 'output').map((v) => v[0]),
      continuous_state_derivatives: [],
      initial_unknowns: [],
      event_indicators: [],
      ...(deps ? { output_dependencies: deps } : {}),
    },
  };
}

const k = (fc: number, f: string, tc: number, t: string) => ({ from: { c: fc, name: f }, to: { c: tc, name: t } });

describe('connection graph', () => {
  it('an output without declared dependencies depends on every input; a declared list is taken as given', () => {
    assert.deepEqual(
      feedthroughInputs(
        md('a', [
          ['u', 'input'],
          ['w', 'input'],
          ['y', 'output'],
        ]),
        'y',
      ),
      ['u', 'w'],
    );
    assert.deepEqual(
      feedthroughInputs(
        md(
          'a',
          [
            ['u', 'input'],
            ['w', 'input'],
            ['y', 'output'],
          ],
          { y: ['w'] },
        ),
        'y',
      ),
      ['w'],
    );
    assert.deepEqual(
      feedthroughInputs(
        md(
          'a',
          [
            ['u', 'input'],
            ['y', 'output'],
          ],
          { y: [] },
        ),
        'y',
      ),
      [],
    );
  });

  it('a feedback through an output that depends on states only is no loop, and is ordered', () => {
    const comps = [
      {
        name: 'ctrl',
        modelDescription: md('c', [
          ['e', 'input'],
          ['u', 'output'],
        ]),
      }, // feedthrough e -> u
      {
        name: 'plant',
        modelDescription: md(
          'p',
          [
            ['u', 'input'],
            ['y', 'output'],
          ],
          { y: [] },
        ),
      }, // y from states
    ];
    const conns = [k(0, 'u', 1, 'u'), k(1, 'y', 0, 'e')];
    const ordered = orderConnections(comps, conns);
    // plant.y → ctrl.e must come before ctrl.u → plant.u (ctrl.u depends on ctrl.e).
    assert.deepEqual(ordered, [conns[1], conns[0]]);
    assert.deepEqual(gaussSeidelOrder(2, conns), [0, 1]);
  });

  it('refuses a feedthrough cycle with the cycle named, through three components', () => {
    const ft = (n: string) => ({
      name: n,
      modelDescription: md(n, [
        ['u', 'input'],
        ['y', 'output'],
      ]),
    });
    assert.throws(
      () => orderConnections([ft('a'), ft('b'), ft('c')], [k(0, 'y', 1, 'u'), k(1, 'y', 2, 'u'), k(2, 'y', 0, 'u')]),
      (e: unknown) => isGatewayError(e) && e.code === 'ALGEBRAIC_LOOP' && (e.data?.cycle as string[]).length === 7,
    );
  });

  it('orders components sources first, declaration order inside a strongly connected group', () => {
    // 2 → 0 → 1 → 0 (0 and 1 form a group), 3 alone.
    const order = gaussSeidelOrder(4, [k(2, 'y', 0, 'u'), k(0, 'y', 1, 'u'), k(1, 'y', 0, 'w')]);
    assert.ok(order.indexOf(2) < order.indexOf(0) && order.indexOf(0) < order.indexOf(1), order.join(','));
    assert.equal(order.length, 4);
  });
});

describe('unit conversion', () => {
  const m = { name: 'm', base_unit: { m: 1 } };
  const mm = { name: 'mm', base_unit: { m: 1, factor: 0.001 } };
  const degC = { name: 'degC', base_unit: { K: 1, offset: 273.15 } };
  const K = { name: 'K', base_unit: { K: 1 } };
  const s = { name: 's', base_unit: { s: 1 } };
  const a = md('a', [], undefined, [m, mm, degC, K, s]);
  it('converts between units of one quantity (factor and offset) and warns', () => {
    const c = unitConversion(a, 'mm', a, 'm', 'x');
    assert.equal(c.factor, 0.001);
    assert.equal(c.offset, 0);
    assert.ok(c.warning !== undefined);
    const t = unitConversion(a, 'degC', a, 'K', 'x');
    assert.equal(20 * t.factor + t.offset, 293.15);
  });
  it('leaves equal or undeclared units alone and refuses different quantities or unknown units', () => {
    assert.deepEqual(unitConversion(a, 'm', a, 'm', 'x'), { factor: 1, offset: 0 });
    assert.deepEqual(unitConversion(a, undefined, a, 'm', 'x'), { factor: 1, offset: 0 });
    assert.throws(
      () => unitConversion(a, 'm', a, 's', 'x'),
      (e: unknown) => isGatewayError(e) && e.code === 'SYSTEM_INVALID',
    );
    assert.throws(
      () => unitConversion(a, 'm', a, 'furlong', 'x'),
      (e: unknown) => isGatewayError(e) && e.code === 'SYSTEM_INVALID',
    );
  });
});
