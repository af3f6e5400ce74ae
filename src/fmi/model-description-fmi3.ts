/**
 * FMI 3.0 modelDescription.xml → the version-neutral ModelDescription. Variables are typed
 * sibling elements (<Float64>, <Int32>, ...) in document order; everything that points at a
 * variable (derivative, Dimension, ModelStructure) does so by value reference.
 */
import type { ModelDescription, ModelVariable, StartValue, VariableType } from '../schemas/model-description.ts';
import { VariableTypeSchema } from '../schemas/model-description.ts';
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
import { noRunnableInterface } from './unsupported-features.ts';
import {
  childOf,
  childrenOf,
  mdError,
  optBool,
  optFinite,
  optString,
  parseBoolText,
  parseDoubleText,
  parseIntegerText,
  reqModelIdentifier,
  reqString,
  reqUint32,
  UINT32_MAX,
} from './model-description-xml.ts';

const INT_RANGE: Readonly<Partial<Record<VariableType, readonly [bigint, bigint]>>> = {
  Int8: [-(2n ** 7n), 2n ** 7n - 1n],
  UInt8: [0n, 2n ** 8n - 1n],
  Int16: [-(2n ** 15n), 2n ** 15n - 1n],
  UInt16: [0n, 2n ** 16n - 1n],
  Int32: [-(2n ** 31n), 2n ** 31n - 1n],
  UInt32: [0n, UINT32_MAX],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
  Enumeration: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Element names of FMI 3 variables: exactly the type names of the schema. */
const VARIABLE_TAGS: ReadonlySet<string> = new Set<string>(VariableTypeSchema.options);
const isFloat = (t: VariableType): boolean => t === 'Float32' || t === 'Float64';
const isNumeric = (t: VariableType): boolean => isFloat(t) || INT_RANGE[t] !== undefined;

function parseTypeDefinitions(root: XmlElement): Map<string, TypeDefInfo> {
  const out = new Map<string, TypeDefInfo>();
  for (const el of childOf(root, 'TypeDefinitions')?.children ?? []) {
    const type = el.tag.endsWith('Type') ? el.tag.slice(0, -4) : '';
    if (!VARIABLE_TAGS.has(type)) continue;
    const name = reqString(el, 'name');
    if (out.has(name)) throw mdError(`duplicate type definition "${name}"`, { element: el.tag, attribute: 'name', variable: name });
    const def: TypeDefinition = { name, type: type as VariableType };
    const info: TypeDefInfo = { def };
    const quantity = optString(el, 'quantity');
    if (quantity !== undefined) def.quantity = quantity;
    const unit = optString(el, 'unit');
    if (unit !== undefined) def.unit = unit;
    const displayUnit = optString(el, 'displayUnit');
    if (displayUnit !== undefined) info.displayUnit = displayUnit;
    if (isNumeric(def.type)) {
      const min = optFinite(el, 'min');
      if (min !== undefined) def.min = min;
      const max = optFinite(el, 'max');
      if (max !== undefined) def.max = max;
    }
    const nominal = isFloat(def.type) ? optFinite(el, 'nominal') : undefined;
    if (nominal !== undefined) def.nominal = nominal;
    if (def.type === 'Enumeration') {
      def.items = childrenOf(el, 'Item').map((it) => {
        const item: { name: string; value: number; description?: string } = {
          name: reqString(it, 'name'),
          value: Number(parseIntegerText(reqString(it, 'value'), it, 'value', -(2n ** 63n), 2n ** 63n - 1n)),
        };
        const d = optString(it, 'description');
        if (d !== undefined) item.description = d;
        return item;
      });
    }
    out.set(name, info);
  }
  return out;
}

/** One start token → its JS value; 64-bit integers beyond 2^53 stay exact as decimal strings. */
function startToken(token: string, type: VariableType, el: XmlElement): number | string | boolean | undefined {
  const range = INT_RANGE[type];
  if (range) {
    const v = parseIntegerText(token, el, 'start', range[0], range[1]);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (isFloat(type)) {
    const v = parseDoubleText(token, el, 'start');
    return Number.isFinite(v) ? v : undefined; // INF/NaN: not representable in the schema
  }
  if (type === 'Boolean') return parseBoolText(token, el, 'start');
  if (type === 'Binary' && !/^([0-9a-fA-F]{2})*$/.test(token.replace(/^0x/, ''))) {
    throw mdError(`"${token}" is not hex-encoded binary`, { element: el.tag, attribute: 'start', variable: el.attrs.name ?? '' });
  }
  return token;
}

/** <Start value=""/> is a valid empty String / Binary start: only a missing attribute is an error. */
function startValueAttr(s: XmlElement): string {
  const v = s.attrs.value;
  if (v === undefined) throw mdError('required attribute value is missing', { element: s.tag, attribute: 'value' });
  return v;
}

function parseStart(el: XmlElement, type: VariableType, isArray: boolean): StartValue | undefined {
  // String and Binary carry start values as <Start value="..."/> children; others as a list attribute.
  const tokens =
    type === 'String' || type === 'Binary'
      ? childrenOf(el, 'Start')
          .map((s) => startValueAttr(s))
          .concat(el.attrs.start !== undefined ? [el.attrs.start] : [])
      : (el.attrs.start
          ?.trim()
          .split(/\s+/)
          .filter((t) => t !== '') ?? []);
  if (tokens.length === 0) return undefined;
  if (!isArray && tokens.length > 1) {
    throw mdError(`a scalar variable has ${tokens.length} start values`, {
      element: el.tag,
      attribute: 'start',
      variable: el.attrs.name ?? '',
    });
  }
  const values = tokens.map((t) => startToken(t, type, el));
  if (values.some((v) => v === undefined)) return undefined;
  const defined = values as (number | string | boolean)[];
  return isArray ? defined : defined[0];
}

interface Parsed {
  variable: ModelVariable;
  derivativeVr?: number;
  /** Dimension entries: a fixed size or the value reference of a structural parameter. */
  dims: ({ size: number } | { vr: number })[];
}

function parseVariable(el: XmlElement, typedefs: Map<string, TypeDefInfo>): Parsed {
  const type = el.tag as VariableType;
  const v = readCommonVariable(el, type, reqUint32(el, 'valueReference'));
  const declared = optString(el, 'declaredType');
  const site = (attribute: string) => ({ element: el.tag, attribute, variable: v.name });
  if (declared !== undefined) {
    const td = typedefs.get(declared);
    if (!td) throw mdError(`declaredType "${declared}" is not defined in <TypeDefinitions>`, site('declaredType'));
    if (td.def.type !== type) throw mdError(`declaredType "${declared}" is a ${td.def.type}Type, not a ${type}Type`, site('declaredType'));
    v.declared_type = declared;
  } else if (type === 'Enumeration') {
    throw mdError('an Enumeration variable needs a declaredType', site('declaredType'));
  }
  const dims = childrenOf(el, 'Dimension').map((d) => {
    if (d.attrs.start !== undefined)
      return { size: Number(parseIntegerText(d.attrs.start, { ...d, attrs: { ...d.attrs, name: v.name } }, 'start', 0n, 2n ** 53n)) };
    if (d.attrs.valueReference !== undefined) return { vr: reqUint32(d, 'valueReference') };
    throw mdError('a Dimension needs start or valueReference', { element: 'Dimension', variable: v.name });
  });
  const start = parseStart(el, type, dims.length > 0);
  if (start !== undefined) v.start = start;
  if (isNumeric(type)) {
    const min = optFinite(el, 'min');
    if (min !== undefined) v.min = min;
    const max = optFinite(el, 'max');
    if (max !== undefined) v.max = max;
    if (min !== undefined && max !== undefined && min > max) throw mdError(`min ${min} is greater than max ${max}`, site('min'));
  }
  if (isFloat(type)) {
    const nominal = optFinite(el, 'nominal');
    if (nominal !== undefined) v.nominal = nominal;
  }
  const unit = optString(el, 'unit');
  if (unit !== undefined) v.unit = unit;
  const displayUnit = optString(el, 'displayUnit');
  if (displayUnit !== undefined) v.display_unit = displayUnit;
  inheritFromType(v, declared === undefined ? undefined : typedefs.get(declared));
  const parsed: Parsed = { variable: v, dims };
  if (isFloat(type) && el.attrs.derivative !== undefined) parsed.derivativeVr = reqUint32(el, 'derivative');
  return parsed;
}

export function parseFmi3(root: XmlElement): ModelDescription {
  const header = parseHeader(root);
  const guid = reqString(root, 'instantiationToken');
  const me = childOf(root, 'ModelExchange');
  const cs = childOf(root, 'CoSimulation');
  // Valid FMI 3 (every interface element is optional), but nothing this gateway can run.
  if (!me && !cs) throw noRunnableInterface(header.model_name, childOf(root, 'ScheduledExecution') !== undefined);
  const typedefs = parseTypeDefinitions(root);
  const parsed = (childOf(root, 'ModelVariables')?.children ?? [])
    .filter((c) => VARIABLE_TAGS.has(c.tag))
    .map((c) => parseVariable(c, typedefs));
  const variables = parsed.map((p) => p.variable);
  checkUniqueNames(variables, 'ModelVariables');
  const byVr = new Map<number, ModelVariable>();
  for (const v of variables) {
    // FMI 3 has no aliases by value reference: every variable has its own.
    if (byVr.has(v.value_reference)) {
      throw mdError(`value reference ${v.value_reference} is used by both "${byVr.get(v.value_reference)?.name}" and "${v.name}"`, {
        element: v.type,
        attribute: 'valueReference',
        variable: v.name,
      });
    }
    byVr.set(v.value_reference, v);
  }
  const nameOf = (vr: number, element: string, attribute: string, owner?: string): string => {
    const target = byVr.get(vr);
    if (!target)
      throw mdError(
        `value reference ${vr} does not refer to any variable`,
        owner === undefined ? { element, attribute } : { element, attribute, variable: owner },
      );
    return target.name;
  };
  for (const p of parsed) {
    if (p.derivativeVr !== undefined) p.variable.derivative_of = nameOf(p.derivativeVr, p.variable.type, 'derivative', p.variable.name);
    if (p.dims.length > 0) {
      p.variable.dimensions = p.dims.map((d) => ('size' in d ? d.size : nameOf(d.vr, 'Dimension', 'valueReference', p.variable.name)));
    }
  }
  const ms = childOf(root, 'ModelStructure');
  const list = (tag: string): string[] =>
    childrenOf(ms ?? root, tag).map((u) => nameOf(reqUint32(u, 'valueReference'), tag, 'valueReference'));
  const derivatives = list('ContinuousStateDerivative');
  const indicators = list('EventIndicator');
  const byName = new Map(variables.map((v) => [v.name, v] as const));
  const md: ModelDescription = {
    fmi_version: '3.0',
    ...header,
    guid,
    number_of_event_indicators: scalarCount(indicators, byName),
    number_of_continuous_states: scalarCount(derivatives, byName),
    unit_definitions: parseUnitDefinitions(root),
    type_definitions: [...typedefs.values()].map((t) => t.def),
    variables,
    model_structure: {
      outputs: list('Output'),
      continuous_state_derivatives: derivatives,
      initial_unknowns: list('InitialUnknown'),
      event_indicators: indicators,
    },
  };
  // Outputs with a `dependencies` attribute (value references); absent: every input (FMI default).
  for (const u of childrenOf(ms ?? root, 'Output')) {
    const text = optString(u, 'dependencies');
    if (text === undefined) continue;
    const name = nameOf(reqUint32(u, 'valueReference'), 'Output', 'valueReference');
    const deps = text
      .trim()
      .split(/\s+/)
      .filter((t) => t !== '')
      .map((t) => nameOf(/^[0-9]{1,10}$/.test(t) ? Number(t) : -1, 'Output', 'dependencies', name));
    (md.model_structure.output_dependencies ??= {})[name] = deps;
  }
  if (me) {
    md.model_exchange = {
      model_identifier: reqModelIdentifier(me),
      can_get_and_set_fmu_state: optBool(me, 'canGetAndSetFMUState', false),
      can_be_instantiated_only_once_per_process: optBool(me, 'canBeInstantiatedOnlyOncePerProcess', false),
      needs_execution_tool: optBool(me, 'needsExecutionTool', false),
      completed_integrator_step_not_needed: !optBool(me, 'needsCompletedIntegratorStep', false),
      needs_completed_integrator_step: optBool(me, 'needsCompletedIntegratorStep', false),
    };
  }
  if (cs) {
    md.co_simulation = {
      model_identifier: reqModelIdentifier(cs),
      can_handle_variable_communication_step_size: optBool(cs, 'canHandleVariableCommunicationStepSize', false),
      // FMI 3 dropped canInterpolateInputs (input derivatives are gone); nothing to interpolate.
      can_interpolate_inputs: false,
      can_get_and_set_fmu_state: optBool(cs, 'canGetAndSetFMUState', false),
      can_be_instantiated_only_once_per_process: optBool(cs, 'canBeInstantiatedOnlyOncePerProcess', false),
      needs_execution_tool: optBool(cs, 'needsExecutionTool', false),
      provides_intermediate_update: optBool(cs, 'providesIntermediateUpdate', false),
      has_event_mode: optBool(cs, 'hasEventMode', false),
    };
  }
  const de = parseDefaultExperiment(root);
  if (de) md.default_experiment = de;
  return md;
}

/** Number of scalars behind a list of (possibly array) variables: arrays count all their elements. */
function scalarCount(names: readonly string[], byName: ReadonlyMap<string, ModelVariable>): number {
  let total = 0;
  for (const name of names) {
    let n = 1;
    for (const d of byName.get(name)?.dimensions ?? []) {
      const size = typeof d === 'number' ? d : byName.get(d)?.start;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
        throw mdError(`the size of array "${name}" depends on "${String(d)}", which has no integer start value`, {
          element: 'Dimension',
          attribute: 'valueReference',
          variable: name,
        });
      }
      n *= size;
    }
    total += n;
  }
  return total;
}
