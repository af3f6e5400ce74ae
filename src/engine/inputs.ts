/**
 * Input signals: a time series per input variable, validated once (compileInputs) and
 * evaluated per step without allocation (InputPlan.apply / applyContinuous).
 *
 * Semantics: linear interpolation by default for continuous Float32/Float64 inputs,
 * hold (zero-order) otherwise. At a sample time the value is that sample's (the last
 * sample with time <= t), so a repeated time is a jump that takes effect at that time.
 * Before the first sample and after the last the end values are held.
 * Evaluation uses a cursor per signal that advances monotonically; an earlier time
 * (a rejected ME step) walks it back, so any order of times is correct.
 *
 * Values: numbers; true/false for Boolean; Int64/UInt64 as integers or decimal strings, kept
 * exact over their full range (a JSON number beyond 2^53 has already been rounded by the JSON
 * parser: send those as strings); strings for String inputs; for an FMI 3 array input, each
 * sample is a nested array of the variable's shape (or a flat array of all its elements).
 *
 * Model Exchange: a discrete input (any input whose variability is not "continuous":
 * integers, booleans, strings, discrete Floats) may only change in Event Mode, so it is set
 * by apply() at initialization and at input events, and applyContinuous() (called for every
 * derivative evaluation in Continuous-Time Mode) sets only the continuous ones.
 */
import { GatewayError } from '../errors.ts';
import type { FmiInstance, NumericBuffer, PreparedNumeric } from '../fmi/instance.ts';
import type { InputSignal } from './types.ts';
import type { ModelDescription, ModelVariable, VariableType } from '../schemas/model-description.ts';
import { allocBuffer, findVariable, FLOAT32_MAX, flattenArrayValue, isFloatType, suggestNames, variableShape } from './variables.ts';

export interface CompiledSignal {
  variable: ModelVariable;
  interpolation: 'linear' | 'hold';
  time: Float64Array;
  /** Elements per sample: 1 for a scalar, every element of an FMI 3 array. */
  size: number;
  /** Sample k, element e at k * size + e: numbers (booleans 0/1, 64-bit integers as the nearest double). */
  values: Float64Array;
  /** Int64 / UInt64 (and FMI 3 Enumeration): the exact values, same layout as `values`. */
  exact?: BigInt64Array | BigUint64Array;
  /** String inputs: the values, one per sample. */
  strings?: string[];
}

export interface InputPlan {
  readonly signals: readonly CompiledSignal[];
  /** True when some input is discrete (set only in Event Mode in Model Exchange). */
  readonly hasDiscrete: boolean;
  /** Evaluates every signal at t and sets the inputs (one set call per type). No allocation. */
  apply(instance: FmiInstance, t: number): void;
  /** As apply, for the continuous inputs only (Continuous-Time Mode of Model Exchange). */
  applyContinuous(instance: FmiInstance, t: number): void;
  /** Value of signal i (element e of an array) at t (moves that signal's cursor). */
  valueAt(i: number, t: number, element?: number): number;
  /** First time > t where a held input changes value or a repeated time (jump) occurs; Infinity if none. For ME event handling. */
  nextDiscontinuity(t: number): number;
}

const INT_LIMITS: Partial<Record<VariableType, [bigint, bigint]>> = {
  Int8: [-128n, 127n],
  UInt8: [0n, 255n],
  Int16: [-32768n, 32767n],
  UInt16: [0n, 65535n],
  Int32: [-2147483648n, 2147483647n],
  UInt32: [0n, 4294967295n],
  Enumeration: [-2147483648n, 2147483647n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
};

function bad(name: string, why: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('INVALID_INPUT_SIGNAL', `Input signal "${name}": ${why}`, { name, ...data });
}

const INTEGER_TEXT = /^[-+]?\d+$/;

/** Whether values of this variable cross the boundary as BigInts (exact 64-bit integers). */
function isBigType(md: ModelDescription, type: VariableType): boolean {
  return type === 'Int64' || type === 'UInt64' || (type === 'Enumeration' && md.fmi_version === '3.0');
}

/** One sample element → its number (and exact bigint for integer types); throws INVALID_INPUT_SIGNAL. */
function convertElement(v: ModelVariable, raw: unknown, where: string): { x: number; big?: bigint } {
  if (v.type === 'Boolean') {
    if (typeof raw === 'boolean') return { x: raw ? 1 : 0 };
    if (raw === 0 || raw === 1) return { x: raw };
    if (typeof raw === 'string' && /^(true|false|0|1)$/.test(raw.trim())) return { x: /^(true|1)$/.test(raw.trim()) ? 1 : 0 };
    throw bad(v.name, `${where} = ${JSON.stringify(raw)}; a Boolean input takes true/false or 0/1.`);
  }
  const limits = INT_LIMITS[v.type];
  if (limits) {
    let b: bigint | undefined;
    if (typeof raw === 'number' && Number.isInteger(raw)) b = BigInt(raw);
    else if (typeof raw === 'string' && INTEGER_TEXT.test(raw.trim())) b = BigInt(raw.trim());
    if (b === undefined || b < limits[0] || b > limits[1])
      throw bad(
        v.name,
        `${where} = ${JSON.stringify(raw)} is not an integer in the range of ${v.type} [${limits[0]}, ${limits[1]}]` +
          (v.type === 'Int64' || v.type === 'UInt64' ? ' (give values beyond 2^53 as decimal strings to keep them exact).' : '.'),
      );
    return { x: Number(b), big: b };
  }
  if (typeof raw === 'boolean') throw bad(v.name, `${where} is a boolean but the input is ${v.type}.`);
  const x = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw bad(v.name, `${where} is not a finite number${typeof raw === 'number' ? '' : ` (got ${JSON.stringify(raw)})`}.`);
  if (v.type === 'Float32' && !Number.isFinite(Math.fround(x)))
    throw bad(v.name, `${where} = ${x} is outside the range of Float32 (±${FLOAT32_MAX}).`);
  return { x };
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
  if (v.type === 'Binary' || v.type === 'Clock') throw bad(s.name, `inputs of type ${v.type} cannot take a time series; use start_values.`);
  const n = s.time.length;
  if (n === 0) throw bad(s.name, 'time and values are empty; give at least one sample.');
  if (s.values.length !== n) throw bad(s.name, `time has ${n} samples but values has ${s.values.length}; they must be the same length.`);
  const continuous = v.variability === 'continuous';
  const interpolation = s.interpolation ?? (isFloatType(v.type) && continuous ? 'linear' : 'hold');
  if (interpolation === 'linear' && !isFloatType(v.type))
    throw bad(s.name, `linear interpolation needs a Float input, but "${s.name}" is ${v.type}; use "hold".`);
  if (interpolation === 'linear' && !continuous)
    throw bad(s.name, `"${s.name}" is a discrete input: it changes only at events, so it cannot be interpolated linearly; use "hold".`);
  const shape = variableShape(md, v);
  const isArray = (v.dimensions?.length ?? 0) > 0;
  if (isArray && v.type === 'String') throw bad(s.name, 'String array inputs cannot take a time series.');
  const size = isArray ? shape.reduce((a, b) => a * b, 1) : 1;
  const time = new Float64Array(n);
  const values = new Float64Array(n * size);
  const big = isBigType(md, v.type);
  const exact = !big ? undefined : v.type === 'UInt64' ? new BigUint64Array(n * size) : new BigInt64Array(n * size);
  const strings: string[] | undefined = v.type === 'String' ? [] : undefined;
  for (let i = 0; i < n; i++) {
    const t = s.time[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw bad(s.name, `time[${i}] is not a finite number.`);
    if (i > 0 && t < (time[i - 1] ?? t))
      throw bad(s.name, `time must be non-decreasing, but time[${i}] = ${t} < time[${i - 1}] = ${time[i - 1]}.`);
    time[i] = t;
    const raw: unknown = s.values[i];
    if (strings) {
      if (typeof raw !== 'string') throw bad(s.name, `values[${i}] must be a string for a String input, got ${JSON.stringify(raw)}.`);
      strings.push(raw);
      continue;
    }
    let elements: readonly unknown[] = [raw];
    if (isArray) {
      const flat = flattenArrayValue(shape, raw);
      if (typeof flat === 'string') throw bad(s.name, `values[${i}]: ${flat}.`);
      elements = flat;
    } else if (Array.isArray(raw)) {
      throw bad(s.name, `values[${i}] is an array but "${s.name}" is a scalar input.`);
    }
    for (let e = 0; e < size; e++) {
      const c = convertElement(v, elements[e], isArray ? `values[${i}] element ${e + 1}` : `values[${i}]`);
      values[i * size + e] = c.x;
      if (exact) exact[i * size + e] = c.big ?? BigInt(c.x);
    }
  }
  const out: CompiledSignal = { variable: v, interpolation, time, size, values };
  if (exact) out.exact = exact;
  if (strings) out.strings = strings;
  return out;
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

/** The inputs of one type and one variability class, set with one call. */
interface Group {
  type: VariableType;
  continuous: boolean;
  vrs: Uint32Array;
  /** Values behind vrs (array inputs contribute all their elements). */
  nValues: number;
  buf: NumericBuffer;
  /** The binding's prepared native set (fast path) for the bound instance, if offered. */
  access: PreparedNumeric | undefined;
  /** Per value slot: the signal and the element within its sample. */
  members: Int32Array;
  elements: Int32Array;
  /** Per slot: the sample index written last (bigint slots are rewritten only on change, to avoid allocating BigInts). */
  lastIndex: Int32Array;
  big: boolean;
}

interface StringGroup {
  vrs: Uint32Array;
  members: Int32Array;
  lastIndex: Int32Array;
  values: string[];
}

class InputEvaluator implements InputPlan {
  private readonly cursor: Int32Array;
  private readonly groups: Group[] = [];
  private readonly strings: StringGroup | undefined;
  private boundTo: FmiInstance | undefined;
  readonly hasDiscrete: boolean;

  constructor(
    private readonly fmiVersion: '2.0' | '3.0',
    readonly signals: readonly CompiledSignal[],
  ) {
    this.cursor = new Int32Array(signals.length).fill(-1);
    this.hasDiscrete = signals.some((s) => s.variable.variability !== 'continuous');
    const byKey = new Map<string, number[]>();
    const stringIdx: number[] = [];
    signals.forEach((s, i) => {
      if (s.strings) {
        stringIdx.push(i);
        return;
      }
      const key = `${s.variable.type}:${s.variable.variability === 'continuous' ? 'c' : 'd'}`;
      byKey.set(key, [...(byKey.get(key) ?? []), i]);
    });
    for (const [key, idx] of byKey) {
      const type = key.slice(0, key.indexOf(':')) as VariableType;
      const members: number[] = [];
      const elements: number[] = [];
      for (const i of idx) {
        for (let e = 0; e < (signals[i]?.size ?? 1); e++) {
          members.push(i);
          elements.push(e);
        }
      }
      const buf = allocBuffer(fmiVersion, type, Math.max(1, members.length));
      this.groups.push({
        type,
        continuous: key.endsWith(':c'),
        vrs: Uint32Array.from(idx, (i) => signals[i]?.variable.value_reference ?? 0),
        nValues: members.length,
        buf,
        access: undefined,
        members: Int32Array.from(members),
        elements: Int32Array.from(elements),
        lastIndex: new Int32Array(members.length).fill(-2),
        big: buf instanceof BigInt64Array || buf instanceof BigUint64Array,
      });
    }
    this.strings =
      stringIdx.length === 0
        ? undefined
        : {
            vrs: Uint32Array.from(stringIdx, (i) => signals[i]?.variable.value_reference ?? 0),
            members: Int32Array.from(stringIdx),
            lastIndex: new Int32Array(stringIdx.length).fill(-2),
            values: stringIdx.map(() => ''),
          };
  }

  /** Index of the last sample with time <= t (-1 before the first), moving signal i's cursor. */
  private locate(i: number, t: number): number {
    const time = (this.signals[i] as CompiledSignal).time;
    const n = time.length;
    let k = this.cursor[i] ?? -1;
    while (k + 1 < n && (time[k + 1] as number) <= t) k++;
    while (k >= 0 && (time[k] as number) > t) k--;
    this.cursor[i] = k;
    return k;
  }

  valueAt(i: number, t: number, element = 0): number {
    const s = this.signals[i];
    if (!s) return NaN;
    const k = this.locate(i, t);
    const { time, values, size } = s;
    if (k < 0) return values[element] as number;
    if (k >= time.length - 1 || s.interpolation === 'hold') return values[k * size + element] as number;
    const t0 = time[k] as number;
    const t1 = time[k + 1] as number;
    const v0 = values[k * size + element] as number;
    return v0 + ((values[(k + 1) * size + element] as number) - v0) * ((t - t0) / (t1 - t0));
  }

  /** Prepares native buffers for this instance (once; again only if the instance changes). */
  private bind(instance: FmiInstance): void {
    for (const group of this.groups) {
      group.access = instance.prepareSet?.(group.type, group.vrs, group.nValues);
      group.buf = group.access ? group.access.values : allocBuffer(this.fmiVersion, group.type, Math.max(1, group.nValues));
      group.lastIndex.fill(-2);
    }
    if (this.strings) this.strings.lastIndex.fill(-2);
    this.boundTo = instance;
  }

  apply(instance: FmiInstance, t: number): void {
    this.set(instance, t, false);
  }

  applyContinuous(instance: FmiInstance, t: number): void {
    this.set(instance, t, true);
  }

  private set(instance: FmiInstance, t: number, continuousOnly: boolean): void {
    if (this.boundTo !== instance) this.bind(instance);
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g] as Group;
      if (continuousOnly && !group.continuous) continue;
      const { members, elements, buf, lastIndex } = group;
      if (group.big) {
        for (let j = 0; j < members.length; j++) {
          const i = members[j] as number;
          const k = Math.max(0, this.locate(i, t));
          if (lastIndex[j] === k) continue;
          const s = this.signals[i] as CompiledSignal;
          (buf as BigInt64Array)[j] = (s.exact as BigInt64Array)[k * s.size + (elements[j] as number)] as bigint;
          lastIndex[j] = k;
        }
      } else {
        for (let j = 0; j < members.length; j++) (buf as Float64Array)[j] = this.valueAt(members[j] as number, t, elements[j] as number);
      }
      if (group.access) group.access.run();
      else instance.setNumeric(group.type, group.vrs, buf, group.nValues);
    }
    const strings = this.strings;
    if (strings && !continuousOnly) {
      let changed = false;
      for (let j = 0; j < strings.members.length; j++) {
        const i = strings.members[j] as number;
        const k = Math.max(0, this.locate(i, t));
        if (strings.lastIndex[j] === k) continue;
        const value = (this.signals[i] as CompiledSignal).strings?.[k] ?? '';
        // Set on the first call and on a change of value only (a repeated value is no new input).
        if (strings.lastIndex[j] === -2 || strings.values[j] !== value) changed = true;
        strings.values[j] = value;
        strings.lastIndex[j] = k;
      }
      if (changed) instance.setStrings(strings.vrs, strings.values);
    }
  }

  nextDiscontinuity(t: number): number {
    let next = Infinity;
    for (const s of this.signals) {
      const { time, size } = s;
      for (let k = 1; k < time.length; k++) {
        const tk = time[k] as number;
        if (tk <= t) continue;
        if (tk >= next) break;
        if (tk === time[k - 1] || (s.interpolation === 'hold' && sampleChanged(s, k, size))) {
          next = tk;
          break;
        }
      }
    }
    return next;
  }
}

/** Whether sample k of a held signal differs from sample k - 1 in any element. */
function sampleChanged(s: CompiledSignal, k: number, size: number): boolean {
  if (s.strings) return s.strings[k] !== s.strings[k - 1];
  const a = s.exact ?? s.values;
  for (let e = 0; e < size; e++) if (a[k * size + e] !== a[(k - 1) * size + e]) return true;
  return false;
}
