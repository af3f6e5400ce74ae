/**
 * The model description of a whole system: every component's variables renamed
 * "component.variable" with value references of their own, the ME components' states in one
 * vector (component order), their event indicators after each other, and the system inputs /
 * outputs as variables. With it the ordinary drivers (cosim.ts, model-exchange.ts) run a
 * system: start values, input signals, outputs, recording and KPIs all work by name.
 * Array variables (FMI 3) are left out: connections and system columns are scalars.
 */
import type { ModelDescription, ModelVariable } from '../schemas/model-description.ts';
import type { SystemEndpoint, SystemPlan } from './system-types.ts';

/** Where one system value reference lives: component and local value reference (or several, for a system input). */
export interface SystemAddress {
  targets: { c: number; vr: number }[];
  variable: ModelVariable;
}

export interface SystemModel {
  modelDescription: ModelDescription;
  /** Indexed by system value reference. */
  addresses: SystemAddress[];
  /** Per component: offset of its states in the system state vector (ME components only; -1 otherwise). */
  stateOffset: number[];
  /** Per component: offset of its event indicators (ME components only; -1 otherwise). */
  indicatorOffset: number[];
}

function findVar(plan: SystemPlan, e: SystemEndpoint): ModelVariable {
  const comp = plan.components[e.c];
  const v = comp?.modelDescription.variables.find((x) => x.name === e.name);
  if (comp === undefined || v === undefined) throw new Error(`system plan: no variable ${e.name} in component #${e.c}`);
  return v;
}

export function buildSystemModel(plan: SystemPlan): SystemModel {
  const variables: ModelVariable[] = [
    { name: 'time', value_reference: 0, type: 'Float64', causality: 'independent', variability: 'continuous', unit: 's' },
  ];
  const addresses: SystemAddress[] = [{ targets: [], variable: variables[0] as ModelVariable }];
  const connectedInputs = new Set(plan.connections.map((k) => `${k.to.c}:${k.to.name}`));
  const derivatives: string[] = [];
  const outputs: string[] = [];
  const stateOffset: number[] = [];
  const indicatorOffset: number[] = [];
  let nx = 0;
  let nz = 0;
  let allNotNeeded = true;
  plan.components.forEach((comp, c) => {
    const md = comp.modelDescription;
    const me = comp.interface === 'ME';
    stateOffset.push(me ? nx : -1);
    indicatorOffset.push(me ? nz : -1);
    if (me) {
      nx += md.number_of_continuous_states;
      nz += md.number_of_event_indicators;
      if (md.model_exchange?.completed_integrator_step_not_needed !== true) allNotNeeded = false;
      for (const d of md.model_structure.continuous_state_derivatives) derivatives.push(`${comp.name}.${d}`);
    }
    for (const v of md.variables) {
      if (v.causality === 'independent' || (v.dimensions?.length ?? 0) > 0 || v.type === 'Clock' || v.type === 'Binary') continue;
      const sv: ModelVariable = { ...v, name: `${comp.name}.${v.name}`, value_reference: variables.length };
      // A connected input is driven by its connection: not settable by the caller.
      if (v.causality === 'input' && connectedInputs.has(`${c}:${v.name}`)) {
        sv.causality = 'local';
        delete sv.start;
        delete sv.initial;
      }
      if (v.derivative_of !== undefined) {
        if (me) sv.derivative_of = `${comp.name}.${v.derivative_of}`;
        else delete sv.derivative_of;
      }
      if (sv.causality === 'output') outputs.push(sv.name);
      variables.push(sv);
      addresses.push({ targets: [{ c, vr: v.value_reference }], variable: sv });
    }
  });
  for (const input of plan.inputs) {
    const first = findVar(plan, input.targets[0] as SystemEndpoint);
    const sv: ModelVariable = {
      name: input.name,
      value_reference: variables.length,
      type: first.type,
      causality: 'input',
      variability: first.variability,
      ...(first.start !== undefined ? { start: first.start } : {}),
      ...(first.unit !== undefined ? { unit: first.unit } : {}),
      description: `System input → ${input.targets.map((t) => `${plan.components[t.c]?.name}.${t.name}`).join(', ')}`,
    };
    variables.push(sv);
    addresses.push({ targets: input.targets.map((t) => ({ c: t.c, vr: findVar(plan, t).value_reference })), variable: sv });
  }
  for (const output of plan.outputs) {
    const src = findVar(plan, output.source);
    const sv: ModelVariable = {
      name: output.name,
      value_reference: variables.length,
      type: src.type,
      causality: 'output',
      variability: src.variability,
      ...(src.unit !== undefined ? { unit: src.unit } : {}),
      description: `System output ← ${plan.components[output.source.c]?.name}.${output.source.name}`,
    };
    outputs.push(sv.name);
    variables.push(sv);
    addresses.push({ targets: [{ c: output.source.c, vr: src.value_reference }], variable: sv });
  }
  const anyMe = plan.components.some((c) => c.interface === 'ME');
  const units = new Map<string, ModelDescription['unit_definitions'][number]>();
  for (const comp of plan.components) for (const u of comp.modelDescription.unit_definitions) if (!units.has(u.name)) units.set(u.name, u);
  const caps = {
    model_identifier: 'system',
    can_get_and_set_fmu_state: false,
    can_be_instantiated_only_once_per_process: false,
    needs_execution_tool: false,
  };
  const modelDescription: ModelDescription = {
    // Buffers of the drivers follow FMI 3 conventions (full-width integer types); the system
    // converts to each component's own convention (src/engine/system-instance.ts).
    fmi_version: '3.0',
    model_name: plan.components.map((c) => c.name).join('+'),
    guid: 'system',
    number_of_event_indicators: nz,
    number_of_continuous_states: nx,
    unit_definitions: [...units.values()],
    type_definitions: [],
    variables,
    model_structure: { outputs, continuous_state_derivatives: derivatives, initial_unknowns: [], event_indicators: [] },
  };
  if (anyMe) {
    modelDescription.model_exchange = {
      ...caps,
      completed_integrator_step_not_needed: allNotNeeded,
      needs_completed_integrator_step: !allNotNeeded,
    };
  } else {
    modelDescription.co_simulation = {
      ...caps,
      can_handle_variable_communication_step_size: true,
      can_interpolate_inputs: false,
    };
  }
  return { modelDescription, addresses, stateOffset, indicatorOffset };
}
