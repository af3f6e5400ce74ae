/**
 * FMI 2.0 modelDescription.xml → the version-neutral ModelDescription.
 * FMI 2 types map onto FMI 3 names: Real → Float64, Integer → Int32.
 */
import type { InterfaceKind, ModelDescription, ModelVariable, VariableType } from '../schemas/model-description.ts';
import type { TypeDefInfo, TypeDefinition } from './model-description-common.ts';
import {
  checkUniqueNames,
  inheritFromType,
  parseDefaultExperiment,
  parseHeader,
  parseUnitDefinitions,
  readCommonVariable,
} from './model-description-common.ts';
import type { XmlElement } from './model-description-xml.ts';
import {
  childOf,
  childrenOf,
  mdError,
  optBool,
  optDouble,
  optFinite,
  optInt,
  optString,
  reqModelIdentifier,
  reqRelativePath,
  reqString,
  reqUint32,
} from './model-description-xml.ts';

const TYPE_OF: Readonly<Record<string, VariableType | undefined>> = {
  Real: 'Float64',
  Integer: 'Int32',
  Boolean: 'Boolean',
  String: 'String',
  Enumeration: 'Enumeration',
};

function parseTypeDefinitions(root: XmlElement): Map<string, TypeDefInfo> {
  const out = new Map<string, TypeDefInfo>();
  for (const st of childrenOf(childOf(root, 'TypeDefinitions') ?? root, 'SimpleType')) {
    const name = reqString(st, 'name');
    const inner = st.children.find((c) => TYPE_OF[c.tag] !== undefined);
    const type = inner ? TYPE_OF[inner.tag] : undefined;
    if (!inner || !type)
      throw mdError('a SimpleType needs one of Real, Integer, Boolean, String, Enumeration', { element: 'SimpleType', variable: name });
    if (out.has(name)) throw mdError(`duplicate type definition "${name}"`, { element: 'SimpleType', attribute: 'name', variable: name });
    const def: TypeDefinition = { name, type };
    const info: TypeDefInfo = { def };
    const quantity = optString(inner, 'quantity');
    if (quantity !== undefined) def.quantity = quantity;
    const unit = optString(inner, 'unit');
    if (unit !== undefined) def.unit = unit;
    const displayUnit = optString(inner, 'displayUnit');
    if (displayUnit !== undefined) info.displayUnit = displayUnit;
    const min = optFinite(inner, 'min');
    if (min !== undefined) def.min = min;
    const max = optFinite(inner, 'max');
    if (max !== undefined) def.max = max;
    const nominal = optFinite(inner, 'nominal');
    if (nominal !== undefined) def.nominal = nominal;
    if (type === 'Enumeration') {
      def.items = childrenOf(inner, 'Item').map((it) => {
        const item: { name: string; value: number; description?: string } = {
          name: reqString(it, 'name'),
          value: optInt(it, 'value') ?? NaN,
        };
        if (Number.isNaN(item.value))
          throw mdError('enumeration item needs a value', { element: 'Item', attribute: 'value', variable: item.name });
        const d = optString(it, 'description');
        if (d !== undefined) item.description = d;
        return item;
      });
    }
    out.set(name, info);
  }
  return out;
}

interface Parsed {
  variable: ModelVariable;
  /** 1-based index of the state this is the derivative of (resolved once all are read). */
  derivativeIndex?: number;
}

function parseScalarVariable(sv: XmlElement, typedefs: Map<string, TypeDefInfo>): Parsed {
  const name = reqString(sv, 'name');
  const inner = sv.children.find((c) => TYPE_OF[c.tag] !== undefined);
  const type = inner ? TYPE_OF[inner.tag] : undefined;
  if (!inner || !type) {
    throw mdError('a ScalarVariable needs one of Real, Integer, Boolean, String, Enumeration', {
      element: 'ScalarVariable',
      variable: name,
    });
  }
  const v = readCommonVariable(sv, type, reqUint32(sv, 'valueReference'));
  const declared = optString(inner, 'declaredType');
  if (declared !== undefined) {
    const td = typedefs.get(declared);
    if (!td)
      throw mdError(`declaredType "${declared}" is not defined in <TypeDefinitions>`, {
        element: inner.tag,
        attribute: 'declaredType',
        variable: name,
      });
    if (td.def.type !== type)
      throw mdError(`declaredType "${declared}" is a ${td.def.type}, not a ${type}`, {
        element: inner.tag,
        attribute: 'declaredType',
        variable: name,
      });
    v.declared_type = declared;
  }
  const site = (attribute: string) => ({ element: inner.tag, attribute, variable: name });
  const named = { ...inner, attrs: { ...inner.attrs, name } }; // so attribute errors name the variable
  if (inner.attrs.start !== undefined) {
    if (type === 'Float64') {
      const s = optDouble(named, 'start');
      // Non-finite starts (INF/NaN) cannot be represented in the schema; the FMU still has them.
      if (s !== undefined && Number.isFinite(s)) v.start = s;
    } else if (type === 'Int32' || type === 'Enumeration') {
      v.start = optInt(named, 'start');
    } else if (type === 'Boolean') {
      v.start = optBool(named, 'start', false);
    } else {
      v.start = inner.attrs.start;
    }
  }
  if (type === 'Float64' || type === 'Int32' || type === 'Enumeration') {
    const min = optFinite(named, 'min');
    if (min !== undefined) v.min = min;
    const max = optFinite(named, 'max');
    if (max !== undefined) v.max = max;
    if (min !== undefined && max !== undefined && min > max) throw mdError(`min ${min} is greater than max ${max}`, site('min'));
  }
  if (type === 'Float64') {
    const nominal = optFinite(named, 'nominal');
    if (nominal !== undefined) v.nominal = nominal;
  }
  const unit = optString(inner, 'unit');
  if (unit !== undefined) v.unit = unit;
  const displayUnit = optString(inner, 'displayUnit');
  if (displayUnit !== undefined) v.display_unit = displayUnit;
  inheritFromType(v, declared === undefined ? undefined : typedefs.get(declared));
  const parsed: Parsed = { variable: v };
  if (type === 'Float64' && inner.attrs.derivative !== undefined) {
    parsed.derivativeIndex = optInt(named, 'derivative', 1n, 2n ** 32n);
  }
  return parsed;
}

function resolveIndex(
  index: number | undefined,
  vars: readonly ModelVariable[],
  element: string,
  attribute: string,
  owner?: string,
): string {
  const v = index === undefined ? undefined : vars[index - 1];
  if (!v) {
    const site = owner === undefined ? { element, attribute } : { element, attribute, variable: owner };
    throw mdError(`index ${index ?? '(missing)'} does not refer to a ScalarVariable (there are ${vars.length}; indices are 1-based)`, site);
  }
  return v.name;
}

/** Outputs with a `dependencies` attribute → the names they depend on (absent attribute: every input). */
function outputDependencies(ms: XmlElement | undefined, vars: readonly ModelVariable[]): Record<string, string[]> | undefined {
  let out: Record<string, string[]> | undefined;
  for (const u of childrenOf(childOf(ms, 'Outputs') ?? { tag: 'Outputs', attrs: {}, children: [] }, 'Unknown')) {
    const text = optString(u, 'dependencies');
    if (text === undefined) continue;
    const name = resolveIndex(optInt(u, 'index', 1n, 2n ** 32n), vars, 'Unknown', 'index');
    const deps = text
      .trim()
      .split(/\s+/)
      .filter((t) => t !== '')
      .map((t) => resolveIndex(/^[0-9]{1,10}$/.test(t) ? Number(t) : undefined, vars, 'Unknown', 'dependencies', name));
    (out ??= {})[name] = deps;
  }
  return out;
}

function structureList(ms: XmlElement | undefined, section: string, vars: readonly ModelVariable[]): string[] {
  return childrenOf(childOf(ms, section) ?? { tag: section, attrs: {}, children: [] }, 'Unknown').map((u) =>
    resolveIndex(optInt(u, 'index', 1n, 2n ** 32n), vars, 'Unknown', 'index'),
  );
}

/** FMI 2 <SourceFiles> of one interface element (file names relative to sources/). */
export function fmi2SourceFiles(root: XmlElement, iface: InterfaceKind): string[] {
  const el = childOf(root, iface === 'ME' ? 'ModelExchange' : 'CoSimulation');
  return childrenOf(childOf(el, 'SourceFiles') ?? { tag: 'SourceFiles', attrs: {}, children: [] }, 'File').map((f) =>
    reqRelativePath(f, 'name'),
  );
}

export function parseFmi2(root: XmlElement): ModelDescription {
  const header = parseHeader(root);
  const guid = reqString(root, 'guid');
  const me = childOf(root, 'ModelExchange');
  const cs = childOf(root, 'CoSimulation');
  if (!me && !cs) {
    throw mdError('neither <ModelExchange> nor <CoSimulation> is present, so the FMU implements no interface', {
      element: 'fmiModelDescription',
    });
  }
  const typedefs = parseTypeDefinitions(root);
  const parsed = childrenOf(childOf(root, 'ModelVariables') ?? root, 'ScalarVariable').map((sv) => parseScalarVariable(sv, typedefs));
  const variables = parsed.map((p) => p.variable);
  checkUniqueNames(variables, 'ScalarVariable');
  // Same valueReference + same type = aliases, which FMI 2 explicitly allows (§2.2.7); not an error.
  for (const p of parsed) {
    if (p.derivativeIndex !== undefined) {
      p.variable.derivative_of = resolveIndex(p.derivativeIndex, variables, 'Real', 'derivative', p.variable.name);
    }
  }
  const ms = childOf(root, 'ModelStructure');
  const derivatives = structureList(ms, 'Derivatives', variables);
  const md: ModelDescription = {
    fmi_version: '2.0',
    ...header,
    guid,
    number_of_event_indicators: optInt(root, 'numberOfEventIndicators', 0n) ?? 0,
    number_of_continuous_states: derivatives.length,
    unit_definitions: parseUnitDefinitions(root),
    type_definitions: [...typedefs.values()].map((t) => t.def),
    variables,
    model_structure: {
      outputs: structureList(ms, 'Outputs', variables),
      continuous_state_derivatives: derivatives,
      initial_unknowns: structureList(ms, 'InitialUnknowns', variables),
      event_indicators: [],
    },
  };
  const deps = outputDependencies(ms, variables);
  if (deps !== undefined) md.model_structure.output_dependencies = deps;
  if (me) {
    md.model_exchange = {
      model_identifier: reqModelIdentifier(me),
      can_get_and_set_fmu_state: optBool(me, 'canGetAndSetFMUstate', false),
      can_be_instantiated_only_once_per_process: optBool(me, 'canBeInstantiatedOnlyOncePerProcess', false),
      needs_execution_tool: optBool(me, 'needsExecutionTool', false),
      completed_integrator_step_not_needed: optBool(me, 'completedIntegratorStepNotNeeded', false),
      needs_completed_integrator_step: !optBool(me, 'completedIntegratorStepNotNeeded', false),
    };
  }
  if (cs) {
    md.co_simulation = {
      model_identifier: reqModelIdentifier(cs),
      can_handle_variable_communication_step_size: optBool(cs, 'canHandleVariableCommunicationStepSize', false),
      can_interpolate_inputs: optBool(cs, 'canInterpolateInputs', false),
      can_get_and_set_fmu_state: optBool(cs, 'canGetAndSetFMUstate', false),
      can_be_instantiated_only_once_per_process: optBool(cs, 'canBeInstantiatedOnlyOncePerProcess', false),
      needs_execution_tool: optBool(cs, 'needsExecutionTool', false),
    };
  }
  const de = parseDefaultExperiment(root);
  if (de) md.default_experiment = de;
  const sources = [...new Set([...(me ? fmi2SourceFiles(root, 'ME') : []), ...(cs ? fmi2SourceFiles(root, 'CS') : [])])];
  if (sources.length > 0) md.source_files = sources;
  return md;
}
