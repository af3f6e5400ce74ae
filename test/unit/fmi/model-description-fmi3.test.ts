import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseModelDescription } from '../../../src/fmi/model-description.ts';
import type { ModelVariable } from '../../../src/schemas/model-description.ts';

/** A full FMI 3.0 description: every variable type, arrays, clocks, typed definitions. */
const FMI3_XML = `<?xml version="1.0" encoding="UTF-8"?>
<fmiModelDescription fmiVersion="3.0" modelName="Everything" instantiationToken="{tok-3}" description="all types"
  generationTool="hand" variableNamingConvention="flat">
  <ModelExchange modelIdentifier="Every" needsCompletedIntegratorStep="true" canGetAndSetFMUState="true"/>
  <CoSimulation modelIdentifier="Every" canHandleVariableCommunicationStepSize="true" hasEventMode="true"
    providesIntermediateUpdate="false" canBeInstantiatedOnlyOncePerProcess="true"/>
  <UnitDefinitions>
    <Unit name="rad/s"><BaseUnit s="-1" rad="1"/><DisplayUnit name="rpm" factor="9.549296585513721"/></Unit>
  </UnitDefinitions>
  <TypeDefinitions>
    <Float64Type name="AngularVelocity" quantity="AngularVelocity" unit="rad/s" displayUnit="rpm" nominal="100" min="-1e4"/>
    <Int32Type name="Count" min="0" max="1000"/>
    <EnumerationType name="Color"><Item name="red" value="1"/><Item name="green" value="2"/><Item name="blue" value="3"/></EnumerationType>
    <ClockType name="Tick" intervalVariability="constant"/>
  </TypeDefinitions>
  <LogCategories><Category name="logEvents"/></LogCategories>
  <DefaultExperiment startTime="0" stopTime="10" stepSize="1e-3"/>
  <ModelVariables>
    <Float64 name="time" valueReference="0" causality="independent" variability="continuous"/>
    <Float64 name="w" valueReference="1" causality="output" initial="exact" declaredType="AngularVelocity" start="1.5"/>
    <Float64 name="der(w)" valueReference="2" derivative="1"/>
    <UInt64 name="n" valueReference="3" causality="structuralParameter" variability="fixed" start="3"/>
    <Float64 name="x" valueReference="4" causality="output" initial="exact" start="1 2 3">
      <Dimension valueReference="3"/>
    </Float64>
    <Float64 name="der(x)" valueReference="5" derivative="4"><Dimension valueReference="3"/></Float64>
    <Float32 name="f32" valueReference="6" causality="parameter" variability="tunable" start="0.25" min="0" max="1"/>
    <Int8 name="i8" valueReference="7" causality="parameter" variability="fixed" start="-128"/>
    <UInt8 name="u8" valueReference="8" causality="parameter" variability="fixed" start="255"/>
    <Int16 name="i16" valueReference="9" causality="input" start="-300"/>
    <UInt16 name="u16" valueReference="10" causality="input" start="65535"/>
    <Int32 name="count" valueReference="11" causality="output" declaredType="Count" max="10"/>
    <UInt32 name="u32" valueReference="12" causality="parameter" variability="fixed" start="4294967295"/>
    <Int64 name="i64" valueReference="13" causality="parameter" variability="fixed" start="-9223372036854775808"/>
    <UInt64 name="u64small" valueReference="14" causality="parameter" variability="fixed" start="42"/>
    <Boolean name="flags" valueReference="15" causality="parameter" variability="fixed" start="true false 1">
      <Dimension start="3"/>
    </Boolean>
    <String name="names" valueReference="16" causality="parameter" variability="fixed">
      <Dimension start="2"/><Start value="alpha"/><Start value="beta"/>
    </String>
    <String name="title" valueReference="17" causality="parameter" variability="fixed"><Start value="one &amp; only"/></String>
    <Binary name="blob" valueReference="18" causality="parameter" variability="fixed"><Start value="0a0B"/></Binary>
    <Enumeration name="color" valueReference="19" causality="parameter" variability="fixed" declaredType="Color" start="2"/>
    <Clock name="tick" valueReference="20" causality="input" declaredType="Tick"/>
    <Float64 name="z" valueReference="21" canHandleMultipleSetPerTimeInstant="false" causality="input" start="0"/>
    <Float64 name="ind" valueReference="22" description="event indicator"/>
    <Float64 name="m" valueReference="23" causality="parameter" variability="fixed"><Dimension start="2"/><Dimension start="3"/></Float64>
  </ModelVariables>
  <ModelStructure>
    <Output valueReference="1"/>
    <Output valueReference="4"/>
    <Output valueReference="11"/>
    <ContinuousStateDerivative valueReference="2"/>
    <ContinuousStateDerivative valueReference="5"/>
    <InitialUnknown valueReference="2"/>
    <EventIndicator valueReference="22"/>
  </ModelStructure>
</fmiModelDescription>`;

function v(vars: readonly ModelVariable[], name: string): ModelVariable {
  const found = vars.find((x) => x.name === name);
  assert.ok(found, `variable ${name} missing`);
  return found;
}

describe('parseModelDescription (FMI 3.0)', () => {
  const md = parseModelDescription(FMI3_XML);

  test('reads the header with the instantiation token as guid', () => {
    assert.equal(md.fmi_version, '3.0');
    assert.equal(md.model_name, 'Everything');
    assert.equal(md.guid, '{tok-3}');
    assert.equal(md.description, 'all types');
    assert.equal(md.variable_naming_convention, 'flat');
    assert.deepEqual(md.default_experiment, { start_time: 0, stop_time: 10, step_size: 1e-3 });
  });

  test('reads FMI 3 capability flags', () => {
    assert.deepEqual(md.model_exchange, {
      model_identifier: 'Every',
      can_get_and_set_fmu_state: true,
      can_be_instantiated_only_once_per_process: false,
      needs_execution_tool: false,
      completed_integrator_step_not_needed: false,
      needs_completed_integrator_step: true,
    });
    assert.deepEqual(md.co_simulation, {
      model_identifier: 'Every',
      can_handle_variable_communication_step_size: true,
      can_interpolate_inputs: false,
      can_get_and_set_fmu_state: false,
      can_be_instantiated_only_once_per_process: true,
      needs_execution_tool: false,
      provides_intermediate_update: false,
      has_event_mode: true,
    });
    assert.equal(md.source_files, undefined);
  });

  test('keeps variables in document order across element types', () => {
    assert.deepEqual(md.variables.map((x) => x.name).slice(0, 8), ['time', 'w', 'der(w)', 'n', 'x', 'der(x)', 'f32', 'i8']);
    assert.equal(md.variables.length, 24);
  });

  test('maps every FMI 3 type with typed start values and integer ranges', () => {
    const types = Object.fromEntries(md.variables.map((x) => [x.name, x.type]));
    assert.deepEqual(
      ['f32', 'i8', 'u8', 'i16', 'u16', 'count', 'u32', 'i64', 'u64small', 'flags', 'names', 'blob', 'color', 'tick'].map((n) => types[n]),
      [
        'Float32',
        'Int8',
        'UInt8',
        'Int16',
        'UInt16',
        'Int32',
        'UInt32',
        'Int64',
        'UInt64',
        'Boolean',
        'String',
        'Binary',
        'Enumeration',
        'Clock',
      ],
    );
    assert.equal(v(md.variables, 'f32').start, 0.25);
    assert.equal(v(md.variables, 'i8').start, -128);
    assert.equal(v(md.variables, 'u8').start, 255);
    assert.equal(v(md.variables, 'u16').start, 65535);
    assert.equal(v(md.variables, 'u32').start, 4294967295);
    // Beyond 2^53 a JS number would round: kept exact as a decimal string.
    assert.equal(v(md.variables, 'i64').start, '-9223372036854775808');
    assert.equal(v(md.variables, 'u64small').start, 42);
    assert.equal(v(md.variables, 'title').start, 'one & only');
    assert.equal(v(md.variables, 'blob').start, '0a0B');
    assert.equal(v(md.variables, 'color').start, 2);
    assert.equal(v(md.variables, 'tick').start, undefined);
    assert.equal(v(md.variables, 'z').can_handle_multiple_set_per_time_instant, false);
  });

  test('reads array dimensions and array start values', () => {
    assert.deepEqual(v(md.variables, 'x').dimensions, ['n']);
    assert.deepEqual(v(md.variables, 'x').start, [1, 2, 3]);
    assert.deepEqual(v(md.variables, 'flags').dimensions, [3]);
    assert.deepEqual(v(md.variables, 'flags').start, [true, false, true]);
    assert.deepEqual(v(md.variables, 'names').start, ['alpha', 'beta']);
    assert.deepEqual(v(md.variables, 'm').dimensions, [2, 3]);
  });

  test('resolves derivative value references to state names', () => {
    assert.equal(v(md.variables, 'der(w)').derivative_of, 'w');
    assert.equal(v(md.variables, 'der(x)').derivative_of, 'x');
  });

  test('inherits from typed definitions, own attributes first', () => {
    const w = v(md.variables, 'w');
    assert.deepEqual([w.declared_type, w.unit, w.display_unit, w.nominal, w.min], ['AngularVelocity', 'rad/s', 'rpm', 100, -1e4]);
    const c = v(md.variables, 'count');
    assert.deepEqual([c.min, c.max], [0, 10]);
    assert.deepEqual(md.type_definitions.find((t) => t.name === 'Color')?.items, [
      { name: 'red', value: 1 },
      { name: 'green', value: 2 },
      { name: 'blue', value: 3 },
    ]);
    assert.equal(md.type_definitions.find((t) => t.name === 'Tick')?.type, 'Clock');
  });

  test('applies defaults: Float continuous, others discrete, initial per causality', () => {
    assert.deepEqual(
      [v(md.variables, 'der(w)').causality, v(md.variables, 'der(w)').variability, v(md.variables, 'der(w)').initial],
      ['local', 'continuous', 'calculated'],
    );
    assert.equal(v(md.variables, 'i16').variability, 'discrete');
    assert.equal(v(md.variables, 'i16').initial, undefined);
    assert.equal(v(md.variables, 'n').initial, 'exact');
    assert.equal(v(md.variables, 'count').initial, 'calculated');
  });

  test('resolves the model structure and counts array states element by element', () => {
    assert.deepEqual(md.model_structure, {
      outputs: ['w', 'x', 'count'],
      continuous_state_derivatives: ['der(w)', 'der(x)'],
      initial_unknowns: ['der(w)'],
      event_indicators: ['ind'],
    });
    assert.equal(md.number_of_continuous_states, 1 + 3); // der(x) has n = 3 elements
    assert.equal(md.number_of_event_indicators, 1);
  });

  test('reads unit definitions with display units', () => {
    assert.deepEqual(md.unit_definitions, [
      { name: 'rad/s', base_unit: { s: -1, rad: 1 }, display_units: [{ name: 'rpm', factor: 9.549296585513721, offset: 0 }] },
    ]);
  });
});
