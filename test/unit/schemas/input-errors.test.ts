/** Arguments that fail a tool's input schema → one BAD_REQUEST naming every problem and how to fix it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { closestName, formatPath, invalidArguments } from '../../../src/schemas/input-errors.ts';
import { GetVariablesInputSchema } from '../../../src/schemas/variables.ts';
import { ListLibraryInputSchema } from '../../../src/schemas/library.ts';
import { SimulateInputSchema } from '../../../src/schemas/simulate.ts';
import { UploadFmuInputSchema } from '../../../src/schemas/upload.ts';

function fail(schema: z.ZodType, args: unknown) {
  const parsed = schema.safeParse(args);
  assert.equal(parsed.success, false, `${JSON.stringify(args)} is refused`);
  return invalidArguments('simulate', schema, (parsed as { error: z.ZodError }).error);
}

describe('tool input schemas', () => {
  it('refuse misspelt argument names instead of dropping them', () => {
    assert.equal(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, start_value: { e: 1 } }).success, false);
    assert.equal(
      SimulateInputSchema.safeParse({ fmu_id: 'msl:A', input_signals: [{ name: 'u', time: [0], values: [1], interp: 'hold' }] }).success,
      false,
    );
    assert.equal(GetVariablesInputSchema.safeParse({ fmu_id: 'msl:A', causalty: 'input' }).success, false);
    assert.equal(ListLibraryInputSchema.safeParse({ search: 'ball' }).success, false);
    assert.equal(UploadFmuInputSchema.safeParse({ path: '/a.fmu', name: 'a' }).success, false);
  });
});

describe('invalidArguments', () => {
  it('names an unknown argument with the closest valid one and lists the valid names', () => {
    const e = fail(SimulateInputSchema, { fmu_id: 'msl:A', stoptime: 3, start_value: { e: 1 } });
    assert.equal(e.code, 'BAD_REQUEST');
    assert.match(e.message, /"stoptime" \(did you mean "stop_time"\?\)/);
    assert.match(e.message, /"start_value" \(did you mean "start_values"\?\)/);
    assert.match(String(e.data?.hint), /fmu_id, fmi_version, start_time, stop_time/);
  });

  it('suggests field names inside input_signals and says a missing field is required', () => {
    const e = fail(SimulateInputSchema, { fmu_id: 'msl:A', input_signals: [{ name: 'u', times: [0], values: [1] }] });
    assert.match(e.message, /input_signals\[0\]\.time: required/);
    assert.match(e.message, /input_signals\[0\]: unknown field "times" \(did you mean "time"\?\)/);
    assert.match(String(e.data?.hint), /In input_signals\[0\] use only: name, time, values, interpolation/);
  });

  it('gives every problem with its path in data.issues and a clear message for a wrong start value type', () => {
    const e = fail(SimulateInputSchema, { fmu_id: 'msl:A', start_values: { e: null }, max_points: 1e6 });
    const issues = e.data?.issues as { path: string; message: string }[];
    assert.deepEqual(issues.map((i) => i.path).sort(), ['max_points', 'start_values.e']);
    assert.match(e.message, /start_values\.e: a start value must be a number, true\/false/);
  });

  it('formats paths and finds close names', () => {
    assert.equal(formatPath(['input_signals', 0, 'values', 2]), 'input_signals[0].values[2]');
    assert.equal(closestName('StopTime', ['stop_time', 'step']), 'stop_time');
    assert.equal(closestName('frobnicate', ['stop_time', 'step']), undefined);
  });
});
