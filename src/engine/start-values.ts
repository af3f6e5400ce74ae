/**
 * Start values by variable name: validated against causality, variability, initial and
 * type (planStartValues, pure), then applied in the state the FMI spec allows
 * (applyStartValues): exact/approx variables before enterInitializationMode; inputs
 * before it in FMI 3 and inside Initialization Mode in FMI 2 (whose Instantiated state
 * does not admit inputs).
 *
 * Accepted JS values: numbers for Float*, integers, Boolean (also 0/1), Enumeration
 * (also an item name); strings of digits for Int64/UInt64 beyond 2^53 (exact over the full
 * range); strings for String; for Binary a hex string ("0a1b") or an array of bytes; for an
 * FMI 3 array variable a nested array of its shape (or a flat array of its elements).
 */
import { GatewayError } from '../errors.ts';
import type { FmiInstance } from '../fmi/instance.ts';
import type { ModelDescription, ModelVariable, StartValue, VariableType } from '../schemas/model-description.ts';
import type { VariableValue } from '../schemas/simulate.ts';
import { allocBuffer, effectiveInitial, flattenArrayValue, FLOAT32_MAX, requireVariable, variableShape } from './variables.ts';

/** configuration: FMI 3 structural parameters, in Configuration Mode before everything else. */
export type StartPhase = 'configuration' | 'instantiated' | 'initialization';
export type ConvertedValue = number | bigint | string | Uint8Array;

export interface StartValueEntry {
  variable: ModelVariable;
  /** The scalar's value, or the first element of an array. */
  value: ConvertedValue;
  /** Every element (one for a scalar; row-major for an FMI 3 array). */
  elements: ConvertedValue[];
  phase: StartPhase;
}

export interface StartValuePlan {
  readonly entries: readonly StartValueEntry[];
}

const INT_RANGES: Partial<Record<VariableType, [bigint, bigint]>> = {
  Int8: [-128n, 127n],
  UInt8: [0n, 255n],
  Int16: [-32768n, 32767n],
  UInt16: [0n, 65535n],
  Int32: [-2147483648n, 2147483647n],
  UInt32: [0n, 4294967295n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
};

function invalid(v: ModelVariable, why: string, value?: unknown): GatewayError {
  return new GatewayError('INVALID_START_VALUE', `Cannot set a start value for "${v.name}": ${why}`, {
    name: v.name,
    value,
    causality: v.causality,
    variability: v.variability,
    type: v.type,
  });
}

/** Why a variable cannot take a start value, or undefined when it can. */
export function startValueRefusal(v: ModelVariable): string | undefined {
  if (v.variability === 'constant') return 'it is a constant (variability="constant"); its value is fixed inside the FMU.';
  switch (v.causality) {
    case 'calculatedParameter':
      return 'it is a calculatedParameter, computed by the FMU from other parameters; set those instead.';
    case 'independent':
      return 'it is the independent variable (time); use start_time instead.';
    case 'structuralParameter':
      // Set in Configuration Mode (applyStructuralParameters); array sizes follow (withStructuralParameters).
      return v.variability === 'fixed' || v.variability === 'tunable'
        ? undefined
        : 'it is a structural parameter that is not fixed or tunable.';
    case 'output':
    case 'local':
      if (effectiveInitial(v) === 'calculated') {
        return `it is ${v.causality === 'output' ? 'an output' : 'a local variable'} computed by the FMU (initial="calculated"); only variables with initial="exact" or "approx", parameters and inputs take start values.`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function toInteger(v: ModelVariable, raw: StartValue): bigint {
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  if (typeof raw === 'string' && /^[-+]?\d+$/.test(raw.trim())) return BigInt(raw.trim());
  throw invalid(v, `expected an integer for type ${v.type}, got ${JSON.stringify(raw)}.`, raw);
}

function checkRange(v: ModelVariable, value: number | bigint): void {
  const n = Number(value);
  if (v.min !== undefined && n < v.min) throw invalid(v, `${String(value)} is below its minimum ${v.min}.`, String(value));
  if (v.max !== undefined && n > v.max) throw invalid(v, `${String(value)} is above its maximum ${v.max}.`, String(value));
}

/** Converts a JSON-ish start value to the JS value the binding expects for the variable's type. */
export function convertStartValue(md: ModelDescription, v: ModelVariable, raw: StartValue): ConvertedValue {
  if (Array.isArray(raw) && v.type !== 'Binary') throw invalid(v, 'expected a single value, not an array.', raw);
  switch (v.type) {
    case 'Float32':
    case 'Float64':
      if (typeof raw !== 'number' || !Number.isFinite(raw))
        throw invalid(v, `expected a finite number for type ${v.type}, got ${JSON.stringify(raw)}.`, raw);
      // A Float32 buffer would silently turn it into ±Infinity.
      if (v.type === 'Float32' && !Number.isFinite(Math.fround(raw)))
        throw invalid(v, `${raw} is outside the range of Float32 (±${FLOAT32_MAX}).`, raw);
      checkRange(v, raw);
      return raw;
    case 'Boolean':
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      if (raw === 0 || raw === 1) return raw;
      throw invalid(v, `expected true or false for type Boolean, got ${JSON.stringify(raw)}.`, raw);
    case 'String':
      if (typeof raw !== 'string') throw invalid(v, `expected a string for type String, got ${JSON.stringify(raw)}.`, raw);
      return raw;
    case 'Enumeration': {
      let n: bigint;
      if (typeof raw === 'string' && !/^[-+]?\d+$/.test(raw.trim())) {
        const items = md.type_definitions.find((t) => t.name === v.declared_type)?.items ?? [];
        const item = items.find((i) => i.name === raw);
        if (!item)
          throw invalid(
            v,
            `"${raw}" is not an item of ${v.declared_type ?? 'its enumeration'} (${items.map((i) => i.name).join(', ') || 'no items known'}).`,
            raw,
          );
        n = BigInt(item.value);
      } else n = toInteger(v, raw);
      checkRange(v, n);
      return md.fmi_version === '3.0' ? n : Number(n);
    }
    case 'Binary': {
      if (typeof raw === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(raw))
        return Uint8Array.from(raw.match(/../g) ?? [], (h) => parseInt(h, 16));
      if (Array.isArray(raw) && raw.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255))
        return Uint8Array.from(raw as number[]);
      throw invalid(v, 'expected a hex string (e.g. "0a1b") or an array of bytes for type Binary.', raw);
    }
    case 'Clock':
      throw invalid(v, 'Clock variables cannot take start values.', raw);
    default: {
      const range = INT_RANGES[v.type];
      if (!range) throw invalid(v, `type ${v.type} is not supported.`, raw);
      const n = toInteger(v, raw);
      if (n < range[0] || n > range[1]) throw invalid(v, `${n} is outside the range of ${v.type} [${range[0]}, ${range[1]}].`, String(n));
      checkRange(v, n);
      return v.type === 'Int64' || v.type === 'UInt64' ? n : Number(n);
    }
  }
}

/** The elements of an array variable's start value, each converted; INVALID_START_VALUE when the shape does not fit. */
function convertArrayStartValue(md: ModelDescription, v: ModelVariable, raw: VariableValue): ConvertedValue[] {
  if (v.type === 'Binary') throw invalid(v, 'Binary array variables are not supported.', raw);
  const shape = variableShape(md, v);
  const flat = flattenArrayValue(shape, raw);
  if (typeof flat === 'string') throw invalid(v, `${flat}.`, raw);
  return flat.map((x) => convertStartValue(md, v, x));
}

/** Validates every start value (throws UNKNOWN_VARIABLE / INVALID_START_VALUE) and decides when each is set. */
export function planStartValues(md: ModelDescription, startValues: Readonly<Record<string, VariableValue>> | undefined): StartValuePlan {
  const entries: StartValueEntry[] = [];
  for (const [name, raw] of Object.entries(startValues ?? {})) {
    const v = requireVariable(md, name, 'start_values');
    const refusal = startValueRefusal(v);
    if (refusal) throw invalid(v, refusal, raw);
    const isArray = (v.dimensions?.length ?? 0) > 0;
    if (!isArray && Array.isArray(raw) && v.type !== 'Binary')
      throw invalid(v, 'it is a scalar variable; give one value, not an array.', raw);
    const elements = isArray ? convertArrayStartValue(md, v, raw) : [convertStartValue(md, v, raw as StartValue)];
    const phase: StartPhase =
      v.causality === 'structuralParameter'
        ? 'configuration'
        : v.causality === 'input' && md.fmi_version === '2.0'
          ? 'initialization'
          : 'instantiated';
    entries.push({ variable: v, value: elements[0] ?? 0, elements, phase });
  }
  return { entries };
}

/**
 * Sets the plan's values of one phase, one set call per type. Call with 'instantiated'
 * before enterInitializationMode and with 'initialization' right after it.
 */
export function applyStartValues(instance: FmiInstance, plan: StartValuePlan, phase: StartPhase): void {
  const groups = new Map<VariableType, StartValueEntry[]>();
  for (const e of plan.entries) {
    if (e.phase !== phase) continue;
    const g = groups.get(e.variable.type) ?? [];
    g.push(e);
    groups.set(e.variable.type, g);
  }
  for (const [type, group] of groups) {
    const vrs = Uint32Array.from(group, (e) => e.variable.value_reference);
    const values = group.flatMap((e) => e.elements);
    if (type === 'String') {
      instance.setStrings(
        vrs,
        values.map((x) => x as string),
      );
    } else if (type === 'Binary') {
      instance.setBinary(
        vrs,
        values.map((x) => x as Uint8Array),
      );
    } else {
      const buf = allocBuffer(instance.fmiVersion, type, values.length);
      values.forEach((x, i) => {
        if (buf instanceof BigInt64Array || buf instanceof BigUint64Array) buf[i] = BigInt(x as number | bigint);
        else buf[i] = Number(x);
      });
      instance.setNumeric(type, vrs, buf, values.length);
    }
  }
}

/**
 * Sets the plan's structural parameters in FMI 3 Configuration Mode (enter, set, exit: back in
 * Instantiated). The instance must have been created from withStructuralParameters(md, ...)
 * (runSimulation does), so that its array sizes and state count are the configured ones.
 */
export function applyStructuralParameters(instance: FmiInstance, plan: StartValuePlan): void {
  const entries = plan.entries.filter((e) => e.phase === 'configuration');
  if (entries.length === 0) return;
  for (const e of entries) {
    const expected = instance.modelDescription.variables.find((v) => v.name === e.variable.name)?.start;
    if (expected === undefined || BigInt(expected as number) !== BigInt(e.value as number | bigint))
      throw new GatewayError(
        'INTERNAL',
        `The instance was not created for ${e.variable.name} = ${String(e.value)} (use withStructuralParameters).`,
      );
  }
  instance.enterConfigurationMode();
  applyStartValues(instance, plan, 'configuration');
  instance.exitConfigurationMode();
}
