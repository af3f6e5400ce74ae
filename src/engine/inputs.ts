/**
 * Input signals: a time series per input variable, validated once (compileInputs) and
 * evaluated per step without allocation (InputPlan.apply).
 *
 * Semantics: linear interpolation by default for continuous Float32/Float64 inputs,
 * hold (zero-order) otherwise. At a sample time the value is that sample's (the last
 * sample with time <= t), so a repeated time is a jump that takes effect at that time.
 * Before the first sample and after the last the end values are held.
 * Evaluation uses a cursor per signal that advances monotonically; an earlier time
 * (a rejected ME step) walks it back, so any order of times is correct.
 */
import { GatewayError } from '../errors.ts';
import type { FmiInstance, NumericBuffer, PreparedNumeric } from '../fmi/instance.ts';
import type { InputSignal } from './types.ts';
import type { ModelDescription, ModelVariable, VariableType } from '../schemas/model-description.ts';
import { allocBuffer, findVariable, FLOAT32_MAX, isFloatType, suggestNames } from './variables.ts';

export interface CompiledSignal {
  variable: ModelVariable;
  interpolation: 'linear' | 'hold';
  time: Float64Array;
  values: Float64Array;
}

export interface InputPlan {
  readonly signals: readonly CompiledSignal[];
  /** Evaluates every signal at t and sets the inputs (one set call per type). No allocation. */
  apply(instance: FmiInstance, t: number): void;
  /** Value of signal i at t (moves that signal's cursor). */
  valueAt(i: number, t: number): number;
  /** First time > t where a held input changes value or a repeated time (jump) occurs; Infinity if none. For ME event handling. */
  nextDiscontinuity(t: number): number;
}

const INT_LIMITS: Partial<Record<VariableType, [number, number]>> = {
  Int8: [-128, 127],
  UInt8: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  Enumeration: [-2147483648, 2147483647],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

function bad(name: string, why: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('INVALID_INPUT_SIGNAL', `Input signal "${name}": ${why}`, { name, ...data });
}

function compileOne(md: ModelDescription, s: InputSignal): CompiledSignal {
  const v = findVariable(md, s.name);
  if (!v) {
    const suggestions = suggestNames(md, s.name, 3, (x) => x.causality === 'input');
    throw bad(
      s.name,
      `the model has no variable of that name.${suggestions.length ? ` Inputs with close names: ${suggestions.join(', ')}.` : ''}`,
      { suggestions },
    );
  }
  if (v.causality !== 'input') throw bad(s.name, `"${s.name}" is a ${v.causality}, not an input; use start_values for parameters.`);
  if (v.type === 'String' || v.type === 'Binary' || v.type === 'Clock')
    throw bad(s.name, `inputs of type ${v.type} cannot take a time series; use start_values.`);
  const n = s.time.length;
  if (n === 0) throw bad(s.name, 'time and values are empty; give at least one sample.');
  if (s.values.length !== n) throw bad(s.name, `time has ${n} samples but values has ${s.values.length}; they must be the same length.`);
  const interpolation = s.interpolation ?? (isFloatType(v.type) && v.variability === 'continuous' ? 'linear' : 'hold');
  if (interpolation === 'linear' && !isFloatType(v.type))
    throw bad(s.name, `linear interpolation needs a Float input, but "${s.name}" is ${v.type}; use "hold".`);
  const time = new Float64Array(n);
  const values = new Float64Array(n);
  const limits = INT_LIMITS[v.type];
  for (let i = 0; i < n; i++) {
    const t = s.time[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw bad(s.name, `time[${i}] is not a finite number.`);
    if (i > 0 && t < (time[i - 1] ?? t))
      throw bad(s.name, `time must be non-decreasing, but time[${i}] = ${t} < time[${i - 1}] = ${time[i - 1]}.`);
    time[i] = t;
    const raw = s.values[i];
    let x: number;
    if (typeof raw === 'boolean') {
      if (v.type !== 'Boolean') throw bad(s.name, `values[${i}] is a boolean but the input is ${v.type}.`);
      x = raw ? 1 : 0;
    } else if (typeof raw === 'number' && Number.isFinite(raw)) {
      x = raw;
      if (v.type === 'Boolean' && x !== 0 && x !== 1) throw bad(s.name, `values[${i}] = ${x}; a Boolean input takes true/false or 0/1.`);
      if (limits && (!Number.isInteger(x) || x < limits[0] || x > limits[1]))
        throw bad(s.name, `values[${i}] = ${x} is not an integer in the range of ${v.type}.`);
      if (v.type === 'Float32' && !Number.isFinite(Math.fround(x)))
        throw bad(s.name, `values[${i}] = ${x} is outside the range of Float32 (±${FLOAT32_MAX}).`);
    } else {
      throw bad(s.name, `values[${i}] is not a finite number${typeof raw === 'number' ? '' : ` (got ${JSON.stringify(raw)})`}.`);
    }
    values[i] = x;
  }
  return { variable: v, interpolation, time, values };
}

/** Validates the signals (throws INVALID_INPUT_SIGNAL) and prepares their evaluation. */
export function compileInputs(md: ModelDescription, signals: readonly InputSignal[] | undefined): InputPlan {
  const compiled: CompiledSignal[] = [];
  const seen = new Set<string>();
  for (const s of signals ?? []) {
    if (seen.has(s.name)) throw bad(s.name, 'given more than once; give one signal per input.');
    seen.add(s.name);
    compiled.push(compileOne(md, s));
  }
  return new InputEvaluator(md.fmi_version, compiled);
}

interface Group {
  type: VariableType;
  vrs: Uint32Array;
  buf: NumericBuffer;
  /** The binding's prepared native set (fast path) for the bound instance, if offered. */
  access: PreparedNumeric | undefined;
  /** Index into signals for each slot. */
  members: Int32Array;
  /** Last value written per slot (bigint buffers are rewritten only on change, to avoid allocating BigInts). */
  last: Float64Array;
  big: boolean;
}

class InputEvaluator implements InputPlan {
  private readonly cursor: Int32Array;
  private readonly groups: Group[] = [];
  private boundTo: FmiInstance | undefined;

  constructor(
    private readonly fmiVersion: '2.0' | '3.0',
    readonly signals: readonly CompiledSignal[],
  ) {
    this.cursor = new Int32Array(signals.length).fill(-1);
    const byType = new Map<VariableType, number[]>();
    signals.forEach((s, i) => byType.set(s.variable.type, [...(byType.get(s.variable.type) ?? []), i]));
    for (const [type, idx] of byType) {
      const buf = allocBuffer(fmiVersion, type, idx.length);
      this.groups.push({
        type,
        buf,
        access: undefined,
        vrs: Uint32Array.from(idx, (i) => signals[i]?.variable.value_reference ?? 0),
        members: Int32Array.from(idx),
        last: new Float64Array(idx.length).fill(NaN),
        big: buf instanceof BigInt64Array || buf instanceof BigUint64Array,
      });
    }
  }

  valueAt(i: number, t: number): number {
    const s = this.signals[i];
    if (!s) return NaN;
    const time = s.time;
    const n = time.length;
    let k = this.cursor[i] ?? -1;
    while (k + 1 < n && (time[k + 1] as number) <= t) k++;
    while (k >= 0 && (time[k] as number) > t) k--;
    this.cursor[i] = k;
    const values = s.values;
    if (k < 0) return values[0] as number;
    if (k >= n - 1 || s.interpolation === 'hold') return values[k] as number;
    const t0 = time[k] as number;
    const t1 = time[k + 1] as number;
    const v0 = values[k] as number;
    return v0 + ((values[k + 1] as number) - v0) * ((t - t0) / (t1 - t0));
  }

  /** Prepares native buffers for this instance (once; again only if the instance changes). */
  private bind(instance: FmiInstance): void {
    for (const group of this.groups) {
      group.access = instance.prepareSet?.(group.type, group.vrs);
      group.buf = group.access ? group.access.values : allocBuffer(this.fmiVersion, group.type, group.vrs.length);
      group.last.fill(NaN);
    }
    this.boundTo = instance;
  }

  apply(instance: FmiInstance, t: number): void {
    if (this.boundTo !== instance) this.bind(instance);
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g] as Group;
      const { members, buf, last } = group;
      for (let j = 0; j < members.length; j++) {
        const x = this.valueAt(members[j] as number, t);
        if (group.big) {
          if (last[j] !== x) (buf as BigInt64Array)[j] = BigInt(x);
        } else (buf as Float64Array)[j] = x;
        last[j] = x;
      }
      if (group.access) group.access.run();
      else instance.setNumeric(group.type, group.vrs, buf);
    }
  }

  nextDiscontinuity(t: number): number {
    let next = Infinity;
    for (const s of this.signals) {
      const { time, values } = s;
      for (let k = 1; k < time.length; k++) {
        const tk = time[k] as number;
        if (tk <= t) continue;
        if (tk >= next) break;
        const jump = tk === time[k - 1] || (s.interpolation === 'hold' && values[k] !== values[k - 1]);
        if (jump) {
          next = tk;
          break;
        }
      }
    }
    return next;
  }
}
