import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { GetVariablesInputSchema, GetVariablesOutputSchema } from '../../../src/schemas/variables.ts';
import { ListLibraryInputSchema, ListLibraryOutputSchema } from '../../../src/schemas/library.ts';
import { UploadFmuInputSchema, UploadFmuOutputSchema } from '../../../src/schemas/upload.ts';
import { SimulateInputSchema, SimulateOutputSchema, SweepInputSchema } from '../../../src/schemas/simulate.ts';

const inputs = { ListLibraryInputSchema, GetVariablesInputSchema, UploadFmuInputSchema, SimulateInputSchema, SweepInputSchema };
const outputs = { ListLibraryOutputSchema, GetVariablesOutputSchema, UploadFmuOutputSchema, SimulateOutputSchema };

type Json = { type?: string; properties?: Record<string, Json>; description?: string; required?: string[] };

describe('JSON Schemas derived from the zod schemas', () => {
  // Output fields may go undescribed where the name says it all (model_name, rows): tools/list
  // carries them as one line of names (src/mcp/tools/compact-schema.ts). Every argument is described.
  for (const [name, schema] of Object.entries(inputs)) {
    it(`${name} is an object at the top level with every property described`, () => {
      const json = z.toJSONSchema(schema, { io: 'input' }) as Json;
      assert.equal(json.type, 'object');
      const undescribed = Object.entries(json.properties ?? {}).filter(([, sub]) => !sub.description);
      assert.deepEqual(
        undescribed.map(([prop]) => prop),
        [],
        `${name} has undescribed properties`,
      );
    });
  }

  it('output schemas require only status, so error results validate too', () => {
    for (const [name, schema] of Object.entries(outputs)) {
      const json = z.toJSONSchema(schema, { io: 'output' }) as Json;
      assert.deepEqual(json.required, ['status'], name);
      assert.ok(schema.safeParse({ status: 'error', error: { code: 'NOT_FOUND', message: 'm' } }).success, name);
    }
  });
});

describe('UploadFmuInput', () => {
  it('accepts exactly one of path or content_base64', () => {
    assert.ok(UploadFmuInputSchema.safeParse({ path: '/tmp/a.fmu' }).success);
    assert.ok(UploadFmuInputSchema.safeParse({ content_base64: 'UEsDBA==' }).success);
  });

  it('rejects neither and both', () => {
    const neither = UploadFmuInputSchema.safeParse({});
    assert.match(neither.error?.issues[0]?.message ?? '', /neither was given/);
    const both = UploadFmuInputSchema.safeParse({ path: '/a.fmu', content_base64: 'UEsDBA==' });
    assert.match(both.error?.issues[0]?.message ?? '', /not both/);
  });
});

describe('GetVariablesInput and ListLibraryInput', () => {
  it('rejects an unknown causality and an out-of-range limit', () => {
    assert.deepEqual(GetVariablesInputSchema.safeParse({ fmu_id: 'msl:A', causality: 'outputs' }).error?.issues[0]?.path, ['causality']);
    assert.deepEqual(ListLibraryInputSchema.safeParse({ limit: 0 }).error?.issues[0]?.path, ['limit']);
    assert.deepEqual(ListLibraryInputSchema.parse({ query: 'ball', limit: 5 }), { query: 'ball', limit: 5 });
  });

  it('validates a success output exactly', () => {
    const ok = {
      status: 'ok',
      fmu_id: 'msl:A',
      model_name: 'A',
      fmi_version: '3.0',
      guid: 'g',
      interfaces: ['CS'],
      default_experiment: { stop_time: 1 },
      total: 1,
      variables: [{ name: 'h', value_reference: 0, type: 'Float64', causality: 'output', variability: 'continuous', unit: 'm' }],
    };
    assert.deepEqual(GetVariablesOutputSchema.parse(ok), ok);
    assert.deepEqual(GetVariablesOutputSchema.safeParse({ ...ok, total: undefined }).error?.issues[0]?.path, ['total']);
  });
});
