/**
 * The model.json schema (the single source of a model's metadata: catalog entry, XML and the
 * generated C header), and its normalization into a list of variables with value references.
 */
import { z } from 'zod';
import { GatewayError } from '../../src/errors.ts';
import { VariableTypeSchema } from '../../src/schemas/model-description.ts';

/** Every FMI variable type the project's C model interface supports (not Enumeration or Clock). */
export const SpecVariableTypeSchema = VariableTypeSchema.exclude(['Enumeration', 'Clock']);
export type SpecVariableType = z.infer<typeof SpecVariableTypeSchema>;

export const SpecVariableSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z_][A-Za-z0-9_.()[\],]*$/, 'letters, digits, _ . ( ) [ ] ,'),
  type: SpecVariableTypeSchema,
  causality: z.enum(['parameter', 'calculatedParameter', 'input', 'output', 'local']),
  /** Default: fixed for parameters, continuous for Float32/Float64, discrete otherwise. */
  variability: z.enum(['constant', 'fixed', 'tunable', 'discrete', 'continuous']).optional(),
  /** Default: exact when a start is given to an output/local, else the FMI default. */
  initial: z.enum(['exact', 'approx', 'calculated']).optional(),
  /** Numbers; 64-bit integers may be decimal strings; Binary is a hex string. */
  start: z.union([z.number(), z.string(), z.boolean()]).optional(),
  unit: z.string().optional(),
  description: z.string().optional(),
  /** Name of the state this variable is the time derivative of (makes that variable a continuous state). */
  derivative_of: z.string().optional(),
  /** This Float64 local is a state-event indicator (FMI 3 <EventIndicator>; counted in FMI 2). */
  event_indicator: z.boolean().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** Nominal value (of a state: returned by getNominalsOfContinuousStates). */
  nominal: z.number().positive().optional(),
  /** A continuous state that event_update may re-initialize. */
  reinit: z.boolean().optional(),
  /**
   * Outputs only: the variables (inputs, states) this output depends on, emitted as the FMI
   * `dependencies` attribute. Omitted: no attribute, i.e. it depends on every input (FMI default).
   */
  depends_on: z.array(z.string()).optional(),
  /** C field name override (default derived from name). */
  c_name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
});
export type SpecVariable = z.infer<typeof SpecVariableSchema>;

const BaseUnitSchema = z.strictObject({
  kg: z.number().int().optional(),
  m: z.number().int().optional(),
  s: z.number().int().optional(),
  A: z.number().int().optional(),
  K: z.number().int().optional(),
  mol: z.number().int().optional(),
  cd: z.number().int().optional(),
  rad: z.number().int().optional(),
  factor: z.number().optional(),
  offset: z.number().optional(),
});

export const SpecUnitSchema = z.strictObject({
  name: z.string().min(1),
  base_unit: BaseUnitSchema.optional(),
  display_units: z.array(z.strictObject({ name: z.string(), factor: z.number(), offset: z.number().optional() })).optional(),
});

export const ModelSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a C identifier (it is the modelIdentifier)'),
  description: z.string().min(1),
  /** The equations in plain text / ASCII math, for people and agents. */
  equations: z.string().min(1),
  tags: z.array(z.string()),
  version: z.string().optional(),
  author: z.string().optional(),
  default_experiment: z.strictObject({
    start_time: z.number().optional(),
    stop_time: z.number(),
    step_size: z.number().positive().optional(),
    tolerance: z.number().positive().optional(),
  }),
  units: z.array(SpecUnitSchema).default([]),
  variables: z.array(SpecVariableSchema).min(1),
  reference: z.strictObject({ kind: z.enum(['closed_form', 'numerical']), text: z.string().min(1) }),
  /**
   * The model implements the step_completed hook (step events): the XML then asks importers to
   * call completedIntegratorStep (FMI 3 needsCompletedIntegratorStep="true"); models without it
   * tell FMI 2 importers they may skip the call (completedIntegratorStepNotNeeded="true").
   */
  step_events: z.boolean().default(false),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

export type Variability = 'constant' | 'fixed' | 'tunable' | 'discrete' | 'continuous';

/** A variable after normalization: value reference assigned, defaults resolved. */
export interface NormVariable {
  name: string;
  cName: string;
  vr: number;
  type: SpecVariableType;
  causality: SpecVariable['causality'] | 'independent';
  variability: Variability;
  initial: 'exact' | 'approx' | 'calculated' | undefined;
  start: number | string | boolean | undefined;
  unit: string | undefined;
  description: string | undefined;
  min: number | undefined;
  max: number | undefined;
  nominal: number | undefined;
  reinit: boolean;
  /** For a derivative: the state variable. */
  derivativeOf: NormVariable | undefined;
  isState: boolean;
  isEventIndicator: boolean;
  /** Outputs with a declared `dependencies` attribute: the variables they depend on. */
  dependsOn?: NormVariable[];
}

export interface NormModel {
  spec: ModelSpec;
  /** time (vr 0) first, then model.json order (vr 1, 2, ...). */
  variables: NormVariable[];
  /** Derivative variables in state order (model.json order of the derivatives). */
  derivatives: NormVariable[];
  states: NormVariable[];
  eventIndicators: NormVariable[];
}

const FLOAT = new Set<SpecVariableType>(['Float32', 'Float64']);
const INTEGER = new Set<SpecVariableType>(['Int8', 'UInt8', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64']);
const INT_RANGES: Record<string, [bigint, bigint]> = {
  Int8: [-128n, 127n],
  UInt8: [0n, 255n],
  Int16: [-32768n, 32767n],
  UInt16: [0n, 65535n],
  Int32: [-2147483648n, 2147483647n],
  UInt32: [0n, 4294967295n],
  Int64: [-9223372036854775808n, 9223372036854775807n],
  UInt64: [0n, 18446744073709551615n],
};

export function isFloatType(t: SpecVariableType): boolean {
  return FLOAT.has(t);
}
export function isIntegerType(t: SpecVariableType): boolean {
  return INTEGER.has(t);
}

/** "der(x)" -> "der_x", "a.b[1]" -> "a_b_1". */
export function cNameOf(name: string): string {
  const s = name
    .replace(/^der\((.*)\)$/, 'der_$1')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .replace(/_+$/, '');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function fail(model: string, message: string): never {
  throw new GatewayError('MODEL_DESCRIPTION_INVALID', `model.json of ${model}: ${message}`);
}

function checkStart(model: string, v: NormVariable): void {
  const s = v.start;
  if (s === undefined) return;
  const bad = (want: string): never => fail(model, `variable '${v.name}' (${v.type}) needs ${want} as start, got ${JSON.stringify(s)}`);
  if (FLOAT.has(v.type)) {
    if (typeof s !== 'number') bad('a number');
  } else if (INTEGER.has(v.type)) {
    const text =
      typeof s === 'number' ? (Number.isInteger(s) ? String(s) : bad('an integer')) : typeof s === 'string' ? s : bad('an integer');
    if (!/^-?[0-9]+$/.test(text)) bad('an integer');
    const [lo, hi] = INT_RANGES[v.type] as [bigint, bigint];
    const b = BigInt(text);
    if (b < lo || b > hi) bad(`an integer in [${lo}, ${hi}]`);
    if (typeof s === 'number' && !Number.isSafeInteger(s)) bad('a decimal string for values beyond 2^53');
  } else if (v.type === 'Boolean') {
    if (typeof s !== 'boolean') bad('true or false');
  } else if (v.type === 'String') {
    if (typeof s !== 'string') bad('a string');
  } else if (v.type === 'Binary') {
    if (typeof s !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(s)) bad('a hex string (even number of hex digits)');
  }
}

/** Validates the cross-references of a parsed model.json and assigns value references. */
export function normalizeModel(raw: unknown, label = 'model'): NormModel {
  const parsed = ModelSpecSchema.safeParse(raw);
  if (!parsed.success) fail(label, z.prettifyError(parsed.error));
  const spec = parsed.data;
  const model = spec.name;
  const units = new Set(spec.units.map((u) => u.name));
  const time: NormVariable = {
    name: 'time',
    cName: 'time',
    vr: 0,
    type: 'Float64',
    causality: 'independent',
    variability: 'continuous',
    initial: undefined,
    start: undefined,
    unit: units.has('s') ? 's' : undefined,
    description: 'Simulation time',
    min: undefined,
    max: undefined,
    nominal: undefined,
    reinit: false,
    derivativeOf: undefined,
    isState: false,
    isEventIndicator: false,
  };
  const variables: NormVariable[] = [time];
  const byName = new Map<string, NormVariable>([['time', time]]);
  const cNames = new Set<string>(['time']);
  spec.variables.forEach((sv, i) => {
    const cName = sv.c_name ?? cNameOf(sv.name);
    if (byName.has(sv.name)) fail(model, `duplicate variable name '${sv.name}' ('time' is reserved)`);
    if (cNames.has(cName)) fail(model, `variable '${sv.name}' maps to C field '${cName}' already used; set c_name`);
    const variability: Variability =
      sv.variability ??
      (sv.causality === 'parameter' || sv.causality === 'calculatedParameter' ? 'fixed' : FLOAT.has(sv.type) ? 'continuous' : 'discrete');
    let initial = sv.initial;
    if (initial === undefined && sv.start !== undefined && (sv.causality === 'output' || sv.causality === 'local')) initial = 'exact';
    const v: NormVariable = {
      name: sv.name,
      cName,
      vr: i + 1,
      type: sv.type,
      causality: sv.causality,
      variability,
      initial,
      start: sv.start,
      unit: sv.unit,
      description: sv.description,
      min: sv.min,
      max: sv.max,
      nominal: sv.nominal,
      reinit: sv.reinit ?? false,
      derivativeOf: undefined,
      isState: false,
      isEventIndicator: sv.event_indicator ?? false,
    };
    if (variability === 'continuous' && !FLOAT.has(sv.type)) fail(model, `variable '${sv.name}' of type ${sv.type} cannot be continuous`);
    if (sv.unit !== undefined && !units.has(sv.unit)) fail(model, `variable '${sv.name}' uses unit '${sv.unit}' missing from "units"`);
    if (sv.unit !== undefined && !FLOAT.has(sv.type)) fail(model, `variable '${sv.name}': only Float32/Float64 variables carry a unit`);
    if (sv.causality === 'parameter' && initial !== undefined && initial !== 'exact')
      fail(model, `parameter '${sv.name}' must have initial exact`);
    if (sv.causality === 'input' && initial !== undefined) fail(model, `input '${sv.name}' must not have an initial attribute`);
    const needsStart =
      sv.causality === 'parameter' || sv.causality === 'input' || initial === 'exact' || initial === 'approx' || variability === 'constant';
    if (needsStart && sv.start === undefined) fail(model, `variable '${sv.name}' needs a start value`);
    if (!needsStart && sv.start !== undefined) fail(model, `variable '${sv.name}' (initial calculated) must not have a start value`);
    checkStart(model, v);
    if (v.isEventIndicator && (sv.type !== 'Float64' || sv.causality !== 'local' || variability !== 'continuous')) {
      fail(model, `event indicator '${sv.name}' must be a continuous Float64 local`);
    }
    variables.push(v);
    byName.set(sv.name, v);
    cNames.add(cName);
  });
  spec.variables.forEach((sv) => {
    if (sv.depends_on === undefined) return;
    if (sv.causality !== 'output') fail(model, `variable '${sv.name}': depends_on is for outputs only`);
    (byName.get(sv.name) as NormVariable).dependsOn = sv.depends_on.map(
      (d) => byName.get(d) ?? fail(model, `output '${sv.name}' depends_on unknown variable '${d}'`),
    );
  });
  const derivatives: NormVariable[] = [];
  const states: NormVariable[] = [];
  spec.variables.forEach((sv) => {
    if (sv.derivative_of === undefined) return;
    const der = byName.get(sv.name) as NormVariable;
    const state = byName.get(sv.derivative_of);
    if (state === undefined || state === der || state.vr === 0)
      fail(model, `'${sv.name}'.derivative_of names unknown state '${sv.derivative_of}'`);
    if (der.type !== 'Float64' || state.type !== 'Float64' || der.variability !== 'continuous' || state.variability !== 'continuous') {
      fail(model, `state '${state.name}' and derivative '${der.name}' must be continuous Float64`);
    }
    if (state.isState) fail(model, `state '${state.name}' has two derivatives`);
    if (der.initial === 'exact' || der.start !== undefined) fail(model, `derivative '${der.name}' must be calculated (no start)`);
    state.isState = true;
    der.derivativeOf = state;
    derivatives.push(der);
    states.push(state);
  });
  for (const v of variables) if (v.reinit && !v.isState) fail(model, `'${v.name}' has reinit but is not a continuous state`);
  return { spec, variables, derivatives, states, eventIndicators: variables.filter((v) => v.isEventIndicator) };
}
