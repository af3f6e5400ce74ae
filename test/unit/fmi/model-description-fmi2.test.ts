import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseModelDescription } from '../../../src/fmi/model-description.ts';
import type { ModelVariable } from '../../../src/schemas/model-description.ts';

/** A full FMI 2.0 description exercising every field the parser maps. */
const FMI2_XML = `<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="2.0" modelName="Bouncing &amp; Ball" guid="{8c4e810f-3df3-4a00-8276-176fa3c9f000}"
  description="A ball &lt;bounces&gt; at 9.81 m/s&#178;" author="Tests" version="1.2" generationTool="hand"
  generationDateAndTime="2024-01-01T00:00:00Z" variableNamingConvention="structured" numberOfEventIndicators="1">
  <ModelExchange modelIdentifier="BB_me" canGetAndSetFMUstate="true" completedIntegratorStepNotNeeded="true">
    <SourceFiles><File name="model.c"/><File name="fmi2.c"/></SourceFiles>
  </ModelExchange>
  <CoSimulation modelIdentifier="BB_cs" canHandleVariableCommunicationStepSize="true" canInterpolateInputs="1"
    canBeInstantiatedOnlyOncePerProcess="false" needsExecutionTool="false">
    <SourceFiles><File name="model.c"/><File name="cs.c"/></SourceFiles>
  </CoSimulation>
  <UnitDefinitions>
    <Unit name="m/s2"><BaseUnit m="1" s="-2"/></Unit>
    <Unit name="K"><BaseUnit K="1"/><DisplayUnit name="degC" offset="-273.15"/><DisplayUnit name="mK" factor="1000"/></Unit>
  </UnitDefinitions>
  <TypeDefinitions>
    <SimpleType name="Acceleration"><Real quantity="Acceleration" unit="m/s2" min="-100" max="100" nominal="10"/></SimpleType>
    <SimpleType name="Temp"><Real unit="K" displayUnit="degC" min="0"/></SimpleType>
    <SimpleType name="Mode"><Enumeration><Item name="off" value="0"/><Item name="on" value="1" description="running"/></Enumeration></SimpleType>
  </TypeDefinitions>
  <DefaultExperiment startTime="0" stopTime="3" tolerance="1e-6" stepSize="0.01"/>
  <ModelVariables>
    <ScalarVariable name="time" valueReference="0" causality="independent" variability="continuous"><Real/></ScalarVariable>
    <ScalarVariable name="h" valueReference="1" causality="output" initial="exact" description="height"><Real start="1" unit="m"/></ScalarVariable>
    <ScalarVariable name="der(h)" valueReference="2"><Real derivative="2"/></ScalarVariable>
    <ScalarVariable name="v" valueReference="3" causality="output" initial="exact"><Real start="0"/></ScalarVariable>
    <ScalarVariable name="der(v)" valueReference="4"><Real declaredType="Acceleration" derivative="4" max="50"/></ScalarVariable>
    <ScalarVariable name="g" valueReference="5" causality="parameter" variability="fixed"><Real declaredType="Acceleration" start="-9.81"/></ScalarVariable>
    <ScalarVariable name="e" valueReference="6" causality="parameter" variability="tunable"><Real start="0.7" min="0.5" max="1"/></ScalarVariable>
    <ScalarVariable name="T" valueReference="7" causality="input"><Real declaredType="Temp" start="293.15"/></ScalarVariable>
    <ScalarVariable name="n" valueReference="0" causality="output" variability="discrete"><Integer min="0"/></ScalarVariable>
    <ScalarVariable name="n_alias" valueReference="0" causality="local" variability="discrete"><Integer/></ScalarVariable>
    <ScalarVariable name="on" valueReference="0" causality="parameter" variability="fixed"><Boolean start="true"/></ScalarVariable>
    <ScalarVariable name="label" valueReference="0" causality="parameter" variability="fixed"><String start="hi &quot;there&quot;"/></ScalarVariable>
    <ScalarVariable name="mode" valueReference="1" causality="parameter" variability="fixed"><Enumeration declaredType="Mode" start="1"/></ScalarVariable>
    <ScalarVariable name="c" valueReference="8" causality="local" variability="constant"><Real start="2"/></ScalarVariable>
    <ScalarVariable name="gain" valueReference="9" causality="calculatedParameter" variability="fixed"><Real/></ScalarVariable>
    <ScalarVariable name="p_nov" valueReference="10" causality="parameter"><Real start="3"/></ScalarVariable>
  </ModelVariables>
  <ModelStructure>
    <Outputs><Unknown index="2"/><Unknown index="4"/><Unknown index="9"/></Outputs>
    <Derivatives><Unknown index="3" dependencies="4"/><Unknown index="5" dependencies=""/></Derivatives>
    <InitialUnknowns><Unknown index="2"/><Unknown index="15"/></InitialUnknowns>
  </ModelStructure>
</fmiModelDescription>`;

function v(vars: readonly ModelVariable[], name: string): ModelVariable {
  const found = vars.find((x) => x.name === name);
  assert.ok(found, `variable ${name} missing`);
  return found;
}

describe('parseModelDescription (FMI 2.0)', () => {
  const md = parseModelDescription(FMI2_XML);

  test('reads the header, decoding XML entities and character references', () => {
    assert.equal(md.fmi_version, '2.0');
    assert.equal(md.model_name, 'Bouncing & Ball');
    assert.equal(md.guid, '{8c4e810f-3df3-4a00-8276-176fa3c9f000}');
    assert.equal(md.description, 'A ball <bounces> at 9.81 m/s\u00b2');
    assert.equal(md.author, 'Tests');
    assert.equal(md.version, '1.2');
    assert.equal(md.generation_tool, 'hand');
    assert.equal(md.generation_date_and_time, '2024-01-01T00:00:00Z');
    assert.equal(md.variable_naming_convention, 'structured');
    assert.equal(md.number_of_event_indicators, 1);
    assert.equal(md.number_of_continuous_states, 2);
  });

  test('reads Model Exchange and Co-Simulation capabilities with spec defaults', () => {
    assert.deepEqual(md.model_exchange, {
      model_identifier: 'BB_me',
      can_get_and_set_fmu_state: true,
      can_be_instantiated_only_once_per_process: false,
      needs_execution_tool: false,
      completed_integrator_step_not_needed: true,
      needs_completed_integrator_step: false,
    });
    assert.deepEqual(md.co_simulation, {
      model_identifier: 'BB_cs',
      can_handle_variable_communication_step_size: true,
      can_interpolate_inputs: true,
      can_get_and_set_fmu_state: false,
      can_be_instantiated_only_once_per_process: false,
      needs_execution_tool: false,
    });
  });

  test('reads source files of both interfaces without duplicates', () => {
    assert.deepEqual(md.source_files, ['model.c', 'fmi2.c', 'cs.c']);
  });

  test('reads unit and type definitions', () => {
    assert.deepEqual(md.unit_definitions, [
      { name: 'm/s2', base_unit: { m: 1, s: -2 } },
      {
        name: 'K',
        base_unit: { K: 1 },
        display_units: [
          { name: 'degC', factor: 1, offset: -273.15 },
          { name: 'mK', factor: 1000, offset: 0 },
        ],
      },
    ]);
    assert.deepEqual(md.type_definitions[0], {
      name: 'Acceleration',
      type: 'Float64',
      quantity: 'Acceleration',
      unit: 'm/s2',
      min: -100,
      max: 100,
      nominal: 10,
    });
    assert.deepEqual(md.type_definitions[2], {
      name: 'Mode',
      type: 'Enumeration',
      items: [
        { name: 'off', value: 0 },
        { name: 'on', value: 1, description: 'running' },
      ],
    });
  });

  test('reads the default experiment', () => {
    assert.deepEqual(md.default_experiment, { start_time: 0, stop_time: 3, tolerance: 1e-6, step_size: 0.01 });
  });

  test('maps types, starts and explicit attributes of every variable kind', () => {
    assert.equal(md.variables.length, 16);
    assert.deepEqual(v(md.variables, 'h'), {
      name: 'h',
      value_reference: 1,
      type: 'Float64',
      causality: 'output',
      variability: 'continuous',
      initial: 'exact',
      start: 1,
      unit: 'm',
      description: 'height',
    });
    assert.deepEqual(v(md.variables, 'time'), {
      name: 'time',
      value_reference: 0,
      type: 'Float64',
      causality: 'independent',
      variability: 'continuous',
    });
    assert.equal(v(md.variables, 'n').type, 'Int32');
    assert.equal(v(md.variables, 'n').min, 0);
    assert.equal(v(md.variables, 'on').start, true);
    assert.equal(v(md.variables, 'on').type, 'Boolean');
    assert.equal(v(md.variables, 'label').start, 'hi "there"');
    assert.equal(v(md.variables, 'mode').start, 1);
    assert.equal(v(md.variables, 'mode').declared_type, 'Mode');
    assert.deepEqual([v(md.variables, 'e').min, v(md.variables, 'e').max, v(md.variables, 'e').start], [0.5, 1, 0.7]);
  });

  test('resolves derivative indices to state names', () => {
    assert.equal(v(md.variables, 'der(h)').derivative_of, 'h');
    assert.equal(v(md.variables, 'der(v)').derivative_of, 'v');
    assert.equal(v(md.variables, 'h').derivative_of, undefined);
  });

  test('inherits unit, display unit, min, max and nominal from the declared type, own values first', () => {
    const a = v(md.variables, 'der(v)');
    assert.deepEqual([a.unit, a.min, a.max, a.nominal], ['m/s2', -100, 50, 10]);
    const t = v(md.variables, 'T');
    assert.deepEqual([t.unit, t.display_unit, t.min], ['K', 'degC', 0]);
  });

  test('applies the spec defaults for causality, variability and initial', () => {
    const d = v(md.variables, 'der(h)');
    assert.deepEqual([d.causality, d.variability, d.initial], ['local', 'continuous', 'calculated']);
    assert.equal(v(md.variables, 'n_alias').initial, 'calculated');
    assert.equal(v(md.variables, 'c').initial, 'exact'); // local constant
    assert.equal(v(md.variables, 'g').initial, 'exact'); // parameter
    assert.equal(v(md.variables, 'gain').initial, 'calculated'); // calculatedParameter
    assert.equal(v(md.variables, 'T').initial, undefined); // input
    assert.equal(v(md.variables, 'T').variability, 'continuous');
    assert.equal(v(md.variables, 'p_nov').variability, 'fixed'); // parameter without variability
  });

  test('accepts FMI 2 aliases (same value reference and type)', () => {
    assert.equal(v(md.variables, 'n').value_reference, v(md.variables, 'n_alias').value_reference);
  });

  test('resolves the model structure to variable names', () => {
    assert.deepEqual(md.model_structure, {
      outputs: ['h', 'v', 'n'],
      continuous_state_derivatives: ['der(h)', 'der(v)'],
      initial_unknowns: ['h', 'gain'],
      event_indicators: [],
    });
  });
});
