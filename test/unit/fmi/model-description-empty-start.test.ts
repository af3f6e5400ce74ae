import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelDescription } from '../../../src/fmi/model-description.ts';

const xml = (startChild: string) => `<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="3.0" modelName="M" instantiationToken="{t}">
  <CoSimulation modelIdentifier="M"/>
  <ModelVariables>
    <Float64 name="time" valueReference="0" causality="independent" variability="continuous"/>
    <String name="s" valueReference="1" causality="parameter" variability="fixed">${startChild}</String>
  </ModelVariables>
  <ModelStructure/>
</fmiModelDescription>`;

test('accepts an empty FMI 3 String start value', () => {
  const md = parseModelDescription(xml('<Start value=""/>'));
  assert.equal(md.variables.find((v) => v.name === 's')?.start, '');
});

test('rejects an FMI 3 <Start> without its value attribute', () => {
  assert.throws(() => parseModelDescription(xml('<Start/>')), { code: 'MODEL_DESCRIPTION_INVALID' });
});
