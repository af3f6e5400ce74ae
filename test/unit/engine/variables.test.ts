/** FMI 3 array helpers: shapes from fixed and structural-parameter sizes, element names, nested values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elementNames, findRecordable, flattenArrayValue, variableShape, variableSize } from '../../../src/engine/variables.ts';
import type { ModelDescription, ModelVariable } from '../../../src/schemas/model-description.ts';

const variables: ModelVariable[] = [
  { name: 'n', value_reference: 1, type: 'UInt64', causality: 'structuralParameter', variability: 'fixed', start: 3 },
  { name: 'M', value_reference: 2, type: 'Float64', causality: 'parameter', variability: 'fixed', dimensions: ['n', 2] },
  { name: 'T', value_reference: 3, type: 'Int32', causality: 'parameter', variability: 'fixed', dimensions: [2, 1, 2] },
  { name: 's', value_reference: 4, type: 'Float64', causality: 'output', variability: 'continuous' },
  { name: 'bad', value_reference: 5, type: 'Float64', causality: 'output', variability: 'continuous', dimensions: ['s'] },
];
const md: ModelDescription = {
  fmi_version: '3.0',
  model_name: 'A',
  guid: 'g',
  number_of_event_indicators: 0,
  number_of_continuous_states: 0,
  unit_definitions: [],
  type_definitions: [],
  variables,
  model_structure: { outputs: [], continuous_state_derivatives: [], initial_unknowns: [], event_indicators: [] },
};
const byName = (name: string) => variables.find((v) => v.name === name) as ModelVariable;

describe('array variables', () => {
  it('takes sizes from Dimension start and from a structural parameter', () => {
    assert.deepEqual(variableShape(md, byName('M')), [3, 2]);
    assert.equal(variableSize(md, byName('M')), 6);
    assert.equal(variableSize(md, byName('s')), 1);
  });

  it('names elements row-major and 1-based', () => {
    assert.deepEqual(elementNames(md, byName('M')), ['M[1,1]', 'M[1,2]', 'M[2,1]', 'M[2,2]', 'M[3,1]', 'M[3,2]']);
    assert.deepEqual(elementNames(md, byName('T')), ['T[1,1,1]', 'T[1,1,2]', 'T[2,1,1]', 'T[2,1,2]']);
    assert.deepEqual(elementNames(md, byName('s')), ['s']);
  });

  it('flattens nested or flat values of the right shape and explains the wrong ones', () => {
    assert.deepEqual(
      flattenArrayValue(
        [2, 2],
        [
          [1, 2],
          [3, 4],
        ],
      ),
      [1, 2, 3, 4],
    );
    assert.deepEqual(flattenArrayValue([2, 2], [1, 2, 3, 4]), [1, 2, 3, 4]);
    assert.match(flattenArrayValue([2, 2], [[1, 2], [3]]) as string, /expected 2 entries at \[2\]/);
    assert.match(flattenArrayValue([2], 5) as string, /expected an array/);
  });

  it('finds array elements by name, within bounds only', () => {
    assert.deepEqual(findRecordable(md, 'M[3,2]'), { variable: byName('M'), element: 'M[3,2]' });
    assert.equal(findRecordable(md, 'M[4,1]'), undefined);
    assert.equal(findRecordable(md, 'M[1]'), undefined);
    assert.equal(findRecordable(md, 's[1]'), undefined);
  });

  it('refuses a size taken from a variable without an integer start value', () => {
    assert.throws(() => variableShape(md, byName('bad')), { code: 'FMU_INVALID' });
  });
});
