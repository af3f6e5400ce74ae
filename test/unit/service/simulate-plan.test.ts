import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import type { ModelDescription, ModelVariable } from '../../../src/schemas/model-description.ts';
import { planSimulation } from '../../../src/service/simulate-plan.ts';

function v(name: string, causality: ModelVariable['causality']): ModelVariable {
  return {
    name,
    value_reference: name.length,
    type: 'Float64',
    causality,
    variability: causality === 'parameter' ? 'fixed' : 'continuous',
  };
}

function md(defaultExperiment?: ModelDescription['default_experiment']): ModelDescription {
  const m: ModelDescription = {
    fmi_version: '3.0',
    model_name: 'M',
    guid: 'g',
    number_of_event_indicators: 0,
    number_of_continuous_states: 1,
    unit_definitions: [],
    type_definitions: [],
    variables: [v('x', 'output'), v('y_out', 'output'), v('k', 'parameter'), v('u', 'input'), v('body_v', 'local')],
    model_structure: { outputs: ['x', 'y_out'], continuous_state_derivatives: [], initial_unknowns: [], event_indicators: [] },
    co_simulation: {
      model_identifier: 'M',
      can_handle_variable_communication_step_size: true,
      can_interpolate_inputs: false,
      can_get_and_set_fmu_state: false,
      can_be_instantiated_only_once_per_process: false,
      needs_execution_tool: false,
    },
  };
  if (defaultExperiment) m.default_experiment = defaultExperiment;
  return m;
}

const code = (c: string) => (e: unknown) => e instanceof GatewayError && e.code === c;

describe('planSimulation', () => {
  it('takes start, stop, step and tolerance from the default experiment when omitted', () => {
    const p = planSimulation(md({ start_time: 1, stop_time: 5, step_size: 0.5, tolerance: 1e-7 }), { fmu_id: 'msl:M' }, 1e6);
    assert.deepEqual(
      { start: p.startTime, stop: p.stopTime, step: p.step, tol: p.options.tolerance, outputs: p.options.outputs },
      { start: 1, stop: 5, step: 0.5, tol: 1e-7, outputs: ['x', 'y_out'] },
    );
  });

  it('uses 500 intervals when neither request nor model give a step', () => {
    const p = planSimulation(md({ stop_time: 10 }), { fmu_id: 'msl:M' }, 1e6);
    assert.equal(p.step, 0.02);
    assert.equal(p.startTime, 0);
  });

  it('replaces a default step that would record too many rows, with a warning', () => {
    const p = planSimulation(md({ stop_time: 1000, step_size: 1e-4 }), { fmu_id: 'msl:M' }, 1e6);
    assert.equal(p.step, 2);
    assert.match(p.warnings[0] ?? '', /default step would record too many rows/);
  });

  it('refuses an input given both as a start value and as a signal', () => {
    const input = { fmu_id: 'msl:M', stop_time: 1, start_values: { u: 2 }, input_signals: [{ name: 'u', time: [0, 1], values: [0, 1] }] };
    assert.throws(
      () => planSimulation(md(), input, 1e6),
      (e: unknown) => code('BAD_REQUEST')(e) && /both in start_values and in input_signals/.test((e as Error).message),
    );
  });

  it('requires stop_time when the model has no default', () => {
    assert.throws(() => planSimulation(md(), { fmu_id: 'msl:M' }, 1e6), code('BAD_REQUEST'));
  });

  it('rejects a stop_time before the default start time', () => {
    assert.throws(
      () => planSimulation(md({ start_time: 5 }), { fmu_id: 'msl:M', stop_time: 2 }, 1e6),
      /stop_time \(2\) must be greater than start_time \(5\)/,
    );
  });

  it('rejects too many rows before running and says which step fits', () => {
    assert.throws(
      () => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 10, step: 0.001 }, 1000),
      (e: unknown) =>
        code('OUTPUT_LIMIT_EXCEEDED')(e) && (e as GatewayError).data?.rows === 10_001 && (e as GatewayError).data?.limit === 1000,
    );
  });

  it('records requested outputs plus the variables KPIs need, once each', () => {
    const p = planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, outputs: ['x'], kpis: ['body_v_max', 'x_final'] }, 1e6);
    assert.deepEqual(p.recorded, ['x', 'body_v']);
    assert.deepEqual(
      p.kpis.map((k) => [k.variable, k.metric]),
      [
        ['body_v', 'max'],
        ['x', 'final'],
      ],
    );
  });

  it('maps solver auto to the engine default and passes start values and input signals', () => {
    const signal = { name: 'u', time: [0, 1], values: [0, 1] };
    const p = planSimulation(
      md(),
      { fmu_id: 'msl:M', stop_time: 1, solver: 'auto', interface: 'CS', start_values: { k: 3 }, input_signals: [signal] },
      1e6,
    );
    assert.equal(p.options.solver, undefined);
    assert.equal(p.options.interface, 'CS');
    assert.deepEqual(p.options.startValues, { k: 3 });
    assert.deepEqual(p.options.inputSignals, [signal]);
  });

  it('rejects unknown names in outputs, start_values and KPIs with suggestions', () => {
    assert.throws(() => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, outputs: ['xx'] }, 1e6), code('UNKNOWN_VARIABLE'));
    assert.throws(() => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, start_values: { kk: 1 } }, 1e6), /Did you mean "k"/);
    assert.throws(() => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, kpis: ['z_max'] }, 1e6), code('UNKNOWN_VARIABLE'));
  });

  it('rejects a solver for a Co-Simulation run, with a hint to choose ME', () => {
    const both = {
      ...md(),
      model_exchange: {
        model_identifier: 'M',
        can_get_and_set_fmu_state: false,
        can_be_instantiated_only_once_per_process: false,
        needs_execution_tool: false,
        completed_integrator_step_not_needed: false,
      },
    };
    assert.throws(
      () => planSimulation(both, { fmu_id: 'msl:M', stop_time: 1, solver: 'bdf' }, 1e6),
      (e: unknown) => code('BAD_REQUEST')(e) && /interface: "ME"/.test(String((e as GatewayError).data?.hint)),
    );
    assert.throws(() => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, solver: 'rk45', interface: 'CS' }, 1e6), code('BAD_REQUEST'));
    assert.equal(planSimulation(both, { fmu_id: 'msl:M', stop_time: 1, solver: 'bdf', interface: 'ME' }, 1e6).options.solver, 'bdf');
  });

  it('rejects an interface the FMU does not implement, naming the one it has', () => {
    assert.throws(
      () => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, interface: 'ME' }, 1e6),
      (e: unknown) => code('BAD_REQUEST')(e) && /interface "CS"/.test(String((e as GatewayError).data?.hint)),
    );
  });

  it('rejects KPIs and a plot on non-numeric variables before running', () => {
    const withString = md();
    withString.variables.push({ name: 's', value_reference: 99, type: 'String', causality: 'output', variability: 'discrete' });
    assert.throws(() => planSimulation(withString, { fmu_id: 'msl:M', stop_time: 1, kpis: ['s_max'] }, 1e6), code('BAD_REQUEST'));
    assert.throws(
      () => planSimulation(withString, { fmu_id: 'msl:M', stop_time: 1, outputs: ['s'], plot: true }, 1e6),
      code('BAD_REQUEST'),
    );
    assert.ok(planSimulation(withString, { fmu_id: 'msl:M', stop_time: 1, outputs: ['s', 'x'], plot: true }, 1e6));
  });

  it('rejects an input signal on a variable that is not an input', () => {
    assert.throws(
      () => planSimulation(md(), { fmu_id: 'msl:M', stop_time: 1, input_signals: [{ name: 'k', time: [0], values: [1] }] }, 1e6),
      code('INVALID_INPUT_SIGNAL'),
    );
  });
});

describe('planSimulation fixed_step', () => {
  const withMe = (): ModelDescription => ({
    ...md({ stop_time: 10 }),
    model_exchange: {
      model_identifier: 'M',
      can_get_and_set_fmu_state: false,
      can_be_instantiated_only_once_per_process: false,
      needs_execution_tool: false,
      completed_integrator_step_not_needed: true,
    },
  });
  it('passes fixed_step to the engine for Model Exchange', () => {
    const p = planSimulation(withMe(), { fmu_id: 'msl:M', interface: 'ME', solver: 'euler', fixed_step: 0.001 }, 1e6);
    assert.equal(p.options.fixedStep, 0.001);
  });
  it('refuses fixed_step with Co-Simulation, where the FMU picks its steps', () => {
    assert.throws(() => planSimulation(withMe(), { fmu_id: 'msl:M', fixed_step: 0.001 }, 1e6), code('BAD_REQUEST'));
  });
  it('refuses a fixed_step that would take more than MAX_FIXED_STEPS steps', () => {
    assert.throws(() => planSimulation(withMe(), { fmu_id: 'msl:M', interface: 'ME', fixed_step: 1e-9 }, 1e6), code('BAD_REQUEST'));
  });
});
