/**
 * A system description checked as a whole against its components' model descriptions, before
 * anything runs (as SSP tools do): every connector exists with the right causality, the two ends
 * of a connection have compatible types and units (converted and warned when a conversion is
 * known), no input is driven twice, no algebraic loop. The result is the engine's SystemPlan
 * (bundle directories are filled in by the service).
 */
import { GatewayError } from '../errors.ts';
import type { SystemEndpoint, SystemPlan, SystemPlanComponent, SystemPlanConnection } from '../engine/system-types.ts';
import type { InterfaceKind, ModelDescription, ModelVariable, VariableType } from '../schemas/model-description.ts';
import type { MasterAlgorithm, SystemDescription } from '../schemas/system.ts';
import { gaussSeidelOrder, orderConnections } from './graph.ts';
import { unitConversion } from './units.ts';

export interface PlannedComponent {
  name: string;
  modelDescription: ModelDescription;
  /** The interface the caller asked for this component, if any. */
  interface?: InterfaceKind;
}

const FLOATS = new Set<VariableType>(['Float32', 'Float64']);

function invalid(message: string, data: Record<string, unknown>): GatewayError {
  return new GatewayError('SYSTEM_INVALID', message, data);
}

/** Splits "component.variable" at the first dot. */
export function splitRef(ref: string): { component: string; variable: string } {
  const dot = ref.indexOf('.');
  return { component: ref.slice(0, dot), variable: ref.slice(dot + 1) };
}

function chooseInterface(comp: PlannedComponent, systemDefault: InterfaceKind): InterfaceKind {
  const md = comp.modelDescription;
  const offered: InterfaceKind[] = [...(md.co_simulation ? (['CS'] as const) : []), ...(md.model_exchange ? (['ME'] as const) : [])];
  const wanted = comp.interface ?? systemDefault;
  if (offered.includes(wanted)) return wanted;
  if (comp.interface !== undefined || offered.length === 0) {
    throw invalid(
      `Component ${comp.name} (${md.model_name}) does not offer ${wanted}; it offers ${offered.join(', ') || 'no interface'}.`,
      {
        component: comp.name,
        interface: wanted,
        offered,
      },
    );
  }
  return offered[0] as InterfaceKind;
}

export function planSystem(
  description: SystemDescription,
  components: readonly PlannedComponent[],
  opts: { interface?: InterfaceKind; master?: MasterAlgorithm; communicationStep?: number } = {},
): { plan: SystemPlan; warnings: string[] } {
  const warnings: string[] = [];
  const index = new Map(components.map((c, i) => [c.name, i] as const));
  const resolve = (ref: string, role: 'output' | 'input', where: string): { e: SystemEndpoint; v: ModelVariable; md: ModelDescription } => {
    const { component, variable } = splitRef(ref);
    const c = index.get(component);
    if (c === undefined)
      throw invalid(`${where}: "${ref}" names no component of the system.`, { connector: ref, reason: 'missing_component' });
    const md = (components[c] as PlannedComponent).modelDescription;
    const v = md.variables.find((x) => x.name === variable);
    if (v === undefined) {
      throw invalid(`${where}: component ${component} (${md.model_name}) has no variable "${variable}".`, {
        connector: ref,
        reason: 'missing_variable',
      });
    }
    const ok = role === 'input' ? v.causality === 'input' : v.causality === 'output';
    if (!ok) {
      throw invalid(`${where}: "${ref}" is a ${v.causality}, but it must be an ${role}.`, {
        connector: ref,
        causality: v.causality,
        reason: 'causality',
      });
    }
    if ((v.dimensions?.length ?? 0) > 0)
      throw invalid(`${where}: "${ref}" is an array variable; connect scalars.`, { connector: ref, reason: 'array' });
    return { e: { c, name: variable }, v, md };
  };

  const fed = new Map<string, string>();
  const connections: SystemPlanConnection[] = description.connections.map(([fromRef, toRef]) => {
    const label = `${fromRef} → ${toRef}`;
    const from = resolve(fromRef, 'output', `Connection ${label}`);
    const to = resolve(toRef, 'input', `Connection ${label}`);
    const earlier = fed.get(toRef);
    if (earlier !== undefined)
      throw invalid(`Input ${toRef} is connected twice (from ${earlier} and ${fromRef}).`, {
        connector: toRef,
        reason: 'input_connected_twice',
      });
    fed.set(toRef, fromRef);
    const compatible = from.v.type === to.v.type || (FLOATS.has(from.v.type) && FLOATS.has(to.v.type));
    if (!compatible || from.v.type === 'String' || from.v.type === 'Binary' || from.v.type === 'Clock') {
      throw invalid(`Connection ${label} joins a ${from.v.type} output to a ${to.v.type} input.`, {
        connection: label,
        from_type: from.v.type,
        to_type: to.v.type,
        reason: 'type_mismatch',
      });
    }
    const conv = FLOATS.has(to.v.type) ? unitConversion(from.md, from.v.unit, to.md, to.v.unit, label) : { factor: 1, offset: 0 };
    if (conv.warning !== undefined) warnings.push(conv.warning);
    return { from: from.e, to: to.e, type: to.v.type, factor: conv.factor, offset: conv.offset };
  });

  const inputs = Object.entries(description.inputs ?? {}).map(([name, targets]) => {
    const resolved = targets.map((t) => {
      if (fed.has(t))
        throw invalid(`System input ${name}: ${t} is already driven by a connection.`, { connector: t, reason: 'input_connected_twice' });
      return resolve(t, 'input', `System input ${name}`);
    });
    const type = (resolved[0] as { v: ModelVariable }).v.type;
    if (resolved.some((r) => r.v.type !== type))
      throw invalid(`System input ${name} drives inputs of different types.`, { input: name, reason: 'type_mismatch' });
    return { name, targets: resolved.map((r) => r.e) };
  });
  const outputs = Object.entries(description.outputs ?? {}).map(([name, src]) => ({
    name,
    source: resolve(src, 'output', `System output ${name}`).e,
  }));

  const systemDefault = opts.interface ?? 'CS';
  const planned: SystemPlanComponent[] = components.map((c) => ({
    name: c.name,
    dir: '',
    interface: chooseInterface(c, systemDefault),
    modelDescription: c.modelDescription,
  }));
  const seen = new Set<string>();
  for (const c of planned) {
    const md = c.modelDescription;
    const once = (c.interface === 'CS' ? md.co_simulation : md.model_exchange)?.can_be_instantiated_only_once_per_process === true;
    if (once && seen.has(md.guid)) {
      throw invalid(`${md.model_name} can be instantiated only once per process, but the system uses it twice.`, {
        component: c.name,
        reason: 'instantiated_once',
      });
    }
    seen.add(md.guid);
  }
  const graph = components.map((c) => ({ name: c.name, modelDescription: c.modelDescription }));
  const plan: SystemPlan = {
    components: planned,
    connections: orderConnections(graph, connections),
    order: gaussSeidelOrder(components.length, connections),
    master: opts.master ?? 'gauss-seidel',
    inputs,
    outputs,
  };
  if (opts.communicationStep !== undefined) plan.communicationStep = opts.communicationStep;
  return { plan, warnings };
}
