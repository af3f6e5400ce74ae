/**
 * Name → variable lookup with close-match suggestions, and the typed-array kind that
 * carries each variable type across the FMI boundary (shared by start values, inputs,
 * the recorder and the Model Exchange driver).
 */
import { GatewayError } from '../errors.ts';
import { defaultInitial } from '../fmi/default-initial.ts';
import type { NumericBuffer } from '../fmi/instance.ts';
import type { ModelDescription, ModelVariable, VariableType } from '../schemas/model-description.ts';

const indexes = new WeakMap<ModelDescription, Map<string, ModelVariable>>();

export function variableIndex(md: ModelDescription): Map<string, ModelVariable> {
  let index = indexes.get(md);
  if (!index) {
    index = new Map(md.variables.map((v) => [v.name, v]));
    indexes.set(md, index);
  }
  return index;
}

export function findVariable(md: ModelDescription, name: string): ModelVariable | undefined {
  return variableIndex(md).get(name);
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** Up to `count` variable names closest to `name` (case-insensitive edit distance, substrings first). */
export function suggestNames(md: ModelDescription, name: string, count = 3, filter?: (v: ModelVariable) => boolean): string[] {
  const q = name.toLowerCase();
  return md.variables
    .filter((v) => !filter || filter(v))
    .map((v) => {
      const n = v.name.toLowerCase();
      const d = n.includes(q) || q.includes(n) ? 0.5 : distance(q, n);
      return { name: v.name, d };
    })
    .filter((c) => c.d <= Math.max(2, q.length / 2))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((c) => c.name);
}

/** The variable of that name, or UNKNOWN_VARIABLE with close matches; `role` says where it was used. */
export function requireVariable(md: ModelDescription, name: string, role: string): ModelVariable {
  const v = findVariable(md, name);
  if (v) return v;
  const suggestions = suggestNames(md, name);
  throw new GatewayError(
    'UNKNOWN_VARIABLE',
    `${role}: the model "${md.model_name}" has no variable "${name}".` +
      (suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ' Call get_variables to list them.'),
    { name, suggestions },
  );
}

/**
 * The `initial` of a variable: as parsed (the parser fills the spec's default), else the
 * causality × variability table of src/fmi/model-description-common.ts (one rule, one place).
 */
export function effectiveInitial(v: ModelVariable): 'exact' | 'approx' | 'calculated' | undefined {
  return v.initial ?? defaultInitial(v.causality, v.variability);
}

/** The largest finite Float32: beyond it a Float32 buffer stores ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export function isFloatType(t: VariableType): boolean {
  return t === 'Float32' || t === 'Float64';
}

/** Types whose values cross the boundary as typed arrays (not String / Binary / Clock). */
export function isNumericType(t: VariableType): boolean {
  return t !== 'String' && t !== 'Binary' && t !== 'Clock';
}

/** A typed array of the C type used for `type` in this FMI version (FMI 2 Boolean is int). */
export function allocBuffer(fmiVersion: '2.0' | '3.0', type: VariableType, n: number): NumericBuffer {
  if (!isNumericType(type)) throw new GatewayError('BAD_REQUEST', `Variables of type ${type} cannot be exchanged as numbers.`);
  if (fmiVersion === '2.0') return type === 'Float64' ? new Float64Array(n) : new Int32Array(n);
  switch (type) {
    case 'Float32':
      return new Float32Array(n);
    case 'Float64':
      return new Float64Array(n);
    case 'Int8':
      return new Int8Array(n);
    case 'UInt8':
      return new Uint8Array(n);
    case 'Int16':
      return new Int16Array(n);
    case 'UInt16':
      return new Uint16Array(n);
    case 'Int32':
      return new Int32Array(n);
    case 'UInt32':
      return new Uint32Array(n);
    case 'Int64':
    case 'Enumeration':
      return new BigInt64Array(n);
    case 'UInt64':
      return new BigUint64Array(n);
    case 'Boolean':
      return new Uint8Array(n);
    default:
      throw new GatewayError('BAD_REQUEST', `Variables of type ${type} cannot be exchanged as numbers.`);
  }
}

/** Groups items by variable type, keeping first-seen order. */
export function groupByType<T extends { variable: ModelVariable }>(items: readonly T[]): Map<VariableType, T[]> {
  const groups = new Map<VariableType, T[]>();
  for (const it of items) {
    const g = groups.get(it.variable.type);
    if (g) g.push(it);
    else groups.set(it.variable.type, [it]);
  }
  return groups;
}

/** Shapes per model description (a run with structural parameters set has its own, see withStructuralParameters). */
const shapes = new WeakMap<ModelDescription, WeakMap<ModelVariable, number[]>>();

/**
 * The shape of an FMI 3 array variable ([] for a scalar): fixed <Dimension start> sizes, and
 * structural-parameter sizes at that parameter's start value (the gateway never enters
 * Configuration Mode, so the start value is the size the FMU runs with).
 */
export function variableShape(md: ModelDescription, v: ModelVariable): number[] {
  const dims = v.dimensions;
  if (dims === undefined || dims.length === 0) return [];
  let cache = shapes.get(md);
  if (!cache) {
    cache = new WeakMap();
    shapes.set(md, cache);
  }
  const cached = cache.get(v);
  if (cached) return cached;
  const shape = dims.map((d) => {
    if (typeof d === 'number') return d;
    const p = findVariable(md, d);
    const size = typeof p?.start === 'string' ? Number(p.start) : p?.start;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new GatewayError(
        'FMU_INVALID',
        `The size of array "${v.name}" comes from "${d}", which has no non-negative integer start value.`,
        {
          name: v.name,
          dimension: d,
        },
      );
    }
    return size;
  });
  cache.set(v, shape);
  return shape;
}

/** Number of scalar values behind a variable: 1 for a scalar, the product of the shape for an array. */
export function variableSize(md: ModelDescription, v: ModelVariable): number {
  const shape = variableShape(md, v);
  return shape.length === 0 && (v.dimensions?.length ?? 0) === 0 ? 1 : shape.reduce((a, b) => a * b, 1);
}

/** Column names of a variable's elements in row-major order: "x" for a scalar, "A[1,2]" (1-based) for arrays. */
export function elementNames(md: ModelDescription, v: ModelVariable): string[] {
  const shape = variableShape(md, v);
  if ((v.dimensions?.length ?? 0) === 0) return [v.name];
  const out: string[] = [];
  const index = shape.map(() => 1);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    out.push(`${v.name}[${index.join(',')}]`);
    for (let d = shape.length - 1; d >= 0; d--) {
      if ((index[d] as number) < (shape[d] as number)) {
        index[d] = (index[d] as number) + 1;
        break;
      }
      index[d] = 1;
    }
  }
  return out;
}

export type ScalarValue = number | string | boolean;

/**
 * The elements of an array value in row-major order: a nested array of the variable's shape
 * (e.g. [[1, 2], [3, 4]] for a 2×2 matrix) or a flat array of all its elements.
 * Returns a reason string when the value does not fit.
 */
export function flattenArrayValue(shape: readonly number[], raw: unknown): ScalarValue[] | string {
  const total = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(raw)) return `expected an array of shape [${shape.join(', ')}]`;
  const isScalar = (x: unknown): x is ScalarValue => typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean';
  if (raw.length === total && raw.every(isScalar)) return raw;
  const out: ScalarValue[] = [];
  const walk = (x: unknown, depth: number, path: string): string | undefined => {
    if (depth === shape.length) {
      if (!isScalar(x)) return `element ${path} is not a number, boolean or string`;
      out.push(x);
      return undefined;
    }
    if (!Array.isArray(x) || x.length !== shape[depth])
      return `expected ${shape[depth]} entries at ${path === '' ? 'the top level' : path}, got ${Array.isArray(x) ? x.length : JSON.stringify(x)} (shape [${shape.join(', ')}])`;
    for (let i = 0; i < x.length; i++) {
      const why = walk(x[i], depth + 1, `${path}[${i + 1}]`);
      if (why !== undefined) return why;
    }
    return undefined;
  };
  return walk(raw, 0, '') ?? out;
}

const ELEMENT_NAME = /^(.+)\[(\d+(?:,\d+)*)\]$/;

/**
 * A name that can be recorded: a variable, or one element "A[i,j]" (1-based) of an FMI 3 array
 * variable. `element` is the element's column name when the name picks one element.
 */
export function findRecordable(md: ModelDescription, name: string): { variable: ModelVariable; element?: string } | undefined {
  const v = findVariable(md, name);
  if (v) return { variable: v };
  const m = ELEMENT_NAME.exec(name);
  if (!m) return undefined;
  const base = findVariable(md, m[1] as string);
  if (!base || (base.dimensions?.length ?? 0) === 0) return undefined;
  const index = (m[2] as string).split(',').map(Number);
  const shape = variableShape(md, base);
  if (index.length !== shape.length || index.some((i, d) => i < 1 || i > (shape[d] as number))) return undefined;
  return { variable: base, element: `${base.name}[${index.join(',')}]` };
}

/** As requireVariable, for names that may also pick an array element ("x[2]"). */
export function requireRecordable(md: ModelDescription, name: string, role: string): { variable: ModelVariable; element?: string } {
  return findRecordable(md, name) ?? { variable: requireVariable(md, name, role) };
}

/**
 * The model description a run sees when it sets structural parameters (FMI 3, set in
 * Configuration Mode): their start values replaced, so array shapes and the numbers of states
 * and event indicators follow. The same object when none is set.
 */
export function withStructuralParameters(md: ModelDescription, values: Readonly<Record<string, unknown>> | undefined): ModelDescription {
  const set = Object.entries(values ?? {}).filter(([name]) => findVariable(md, name)?.causality === 'structuralParameter');
  if (set.length === 0) return md;
  const given = new Map(set);
  const variables = md.variables.map((v) => {
    if (!given.has(v.name)) return v;
    const raw = given.get(v.name);
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new GatewayError(
        'INVALID_START_VALUE',
        `Cannot set structural parameter "${v.name}": a size must be a non-negative integer, got ${JSON.stringify(raw)}.`,
        {
          name: v.name,
          value: raw,
        },
      );
    return { ...v, start: n };
  });
  const derived: ModelDescription = { ...md, variables };
  const count = (names: readonly string[]): number =>
    names.reduce((total, name) => total + variableSize(derived, findVariable(derived, name) as ModelVariable), 0);
  derived.number_of_continuous_states = count(md.model_structure.continuous_state_derivatives);
  // FMI 2 counts indicators without naming them; structural parameters exist only in FMI 3.
  if (md.fmi_version === '3.0') derived.number_of_event_indicators = count(md.model_structure.event_indicators);
  return derived;
}
