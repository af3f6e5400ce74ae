/**
 * A connected system seen as ONE FMU instance (FmiInstance), so the ordinary drivers run it:
 *  - Model Exchange: the states of all ME components form one vector; before every derivative,
 *    event-indicator or output read the system pushes time and states into the components and
 *    evaluates the connections in their order (lazily: once per point). Event indicators are
 *    concatenated, so a state event of any component is located for the system; time events
 *    are the earliest of all components; the event iteration runs until neither a component
 *    nor a connection changes. Co-Simulation components in an ME system are stepped at
 *    communication points, scheduled as time events (inputs held over each step).
 *  - Co-Simulation: doStep is the master algorithm given by the caller (src/systems/master.ts).
 * Value references are the system model's (system-model.ts) and are routed to the components,
 * converting buffer conventions (FMI 2 Boolean is int, FMI 3 a byte) on the way. Sets made
 * before Initialization Mode are replayed right after every component entered it (what both
 * FMI 2 and FMI 3 accept for parameters, start values and inputs).
 * Hot path: connection and routing buffers are prepared once; nothing is allocated per call.
 */
import { GatewayError } from '../errors.ts';
import type {
  DoStepResult,
  EventUpdateResult,
  FmiInstance,
  FmiStatusName,
  NumericBuffer,
  PreparedNumeric,
  StepCompletionResult,
} from '../fmi/instance.ts';
import type { ModelDescription, VariableType } from '../schemas/model-description.ts';
import type { SystemModel } from './system-model.ts';
import { TRACE_PREFIX, type SystemPlan } from './system-types.ts';
import { allocBuffer } from './variables.ts';

const STATUS_ORDER: FmiStatusName[] = ['OK', 'Warning', 'Discard', 'Pending', 'Error', 'Fatal'];

function isBig(b: NumericBuffer): b is BigInt64Array | BigUint64Array {
  return b instanceof BigInt64Array || b instanceof BigUint64Array;
}

/** Reads element i of a numeric buffer as a number. */
function readNumber(b: NumericBuffer, i: number): number {
  return Number(b[i] as number | bigint);
}

function writeNumber(b: NumericBuffer, i: number, x: number): void {
  if (isBig(b)) b[i] = BigInt(Math.trunc(x));
  else b[i] = x;
}

/** Copies one element between buffers of possibly different conventions. */
function copyElement(from: NumericBuffer, i: number, to: NumericBuffer, j: number): void {
  const x = from[i] as number | bigint;
  if (isBig(to)) to[j] = typeof x === 'bigint' ? x : BigInt(Math.trunc(x));
  else to[j] = typeof x === 'bigint' ? Number(x) : x;
}

/** A component's prepared get / set (its binding's fast path, else a plain call on a reused buffer). */
function prepared(
  inst: FmiInstance,
  kind: 'get' | 'set',
  type: VariableType,
  vrs: Uint32Array,
  fmiVersion: '2.0' | '3.0',
): PreparedNumeric {
  const fast = kind === 'get' ? inst.prepareGet?.(type, vrs) : inst.prepareSet?.(type, vrs);
  if (fast !== undefined) return fast;
  const values = allocBuffer(fmiVersion, type, vrs.length);
  return { values, run: kind === 'get' ? () => inst.getNumeric(type, vrs, values) : () => inst.setNumeric(type, vrs, values) };
}

/** One component's part of a routed get/set: its value references, its buffer, the system positions. */
interface RoutePart {
  c: number;
  vrs: Uint32Array;
  buf: NumericBuffer;
  pos: Int32Array;
}

/** A connection ready to evaluate: one get and one set of prepared one-element buffers. */
interface LiveConnection {
  fromC: number;
  toC: number;
  type: VariableType;
  /** Prepared native get / set of one value (the bindings' fast path; plain calls otherwise). */
  get: PreparedNumeric;
  set: PreparedNumeric;
  factor: number;
  offset: number;
  /** Continuous destination of an ME component: also set in Continuous-Time Mode. */
  continuous: boolean;
  /** Destination is a Co-Simulation component: set at communication points only. */
  toCs: boolean;
  last: number;
}

export interface SystemComponentInstance {
  name: string;
  instance: FmiInstance;
}

type Mode = 'instantiated' | 'initialization' | 'event' | 'continuous' | 'step' | 'terminated';

export class SystemInstance implements FmiInstance {
  readonly fmiVersion = '3.0' as const;
  readonly interface: 'ME' | 'CS';
  readonly modelDescription: ModelDescription;
  /** Set by the Co-Simulation master (src/systems/master.ts) for a CS system. */
  stepper: ((t: number, h: number) => DoStepResult) | undefined;
  /** Traced runs: a log line naming the component before every call into it. */
  private readonly onEnter: ((c: number) => void) | undefined;
  private readonly comps: FmiInstance[];
  private readonly names: string[];
  private readonly isMe: boolean[];
  private readonly meIdx: number[];
  private readonly csIdx: number[];
  private readonly conns: LiveConnection[];
  private readonly routes = new WeakMap<Uint32Array, Map<VariableType, RoutePart[]>>();
  private readonly deferred: (() => void)[] = [];
  private mode: Mode = 'instantiated';
  // ME state
  private readonly x: Float64Array;
  private readonly xBufs: Float64Array[];
  private readonly zBufs: Float64Array[];
  private readonly stateOffset: number[];
  private readonly indicatorOffset: number[];
  private time = 0;
  private dirty = true;
  private readonly eventResult: EventUpdateResult = {
    discreteStatesNeedUpdate: false,
    terminateSimulation: false,
    nominalsOfContinuousStatesChanged: false,
    valuesOfContinuousStatesChanged: false,
    nextEventTimeDefined: false,
    nextEventTime: 0,
  };
  private readonly completion: StepCompletionResult = { enterEventMode: false, terminateSimulation: false };
  // CS components inside an ME system
  private readonly commStep: number;
  private lastComm = 0;
  private nextComm = Infinity;

  constructor(
    private readonly plan: SystemPlan,
    private readonly model: SystemModel,
    components: SystemComponentInstance[],
    opts: { onLog?: (line: string) => void; communicationStep?: number } = {},
  ) {
    this.modelDescription = model.modelDescription;
    this.interface = model.modelDescription.model_exchange ? 'ME' : 'CS';
    this.comps = components.map((c) => c.instance);
    this.names = components.map((c) => c.name);
    this.isMe = plan.components.map((c) => c.interface === 'ME');
    this.meIdx = this.isMe.flatMap((me, i) => (me ? [i] : []));
    this.csIdx = this.isMe.flatMap((me, i) => (me ? [] : [i]));
    this.stateOffset = model.stateOffset;
    this.indicatorOffset = model.indicatorOffset;
    this.x = new Float64Array(model.modelDescription.number_of_continuous_states);
    this.xBufs = plan.components.map((c, i) => new Float64Array(this.isMe[i] ? c.modelDescription.number_of_continuous_states : 0));
    this.zBufs = plan.components.map((c, i) => new Float64Array(this.isMe[i] ? c.modelDescription.number_of_event_indicators : 0));
    this.commStep = opts.communicationStep ?? plan.communicationStep ?? Infinity;
    const onLog = opts.onLog;
    this.onEnter = plan.trace === true && onLog !== undefined ? (c) => onLog(`${TRACE_PREFIX}${this.names[c]}`) : undefined;
    this.conns = plan.connections.map((k) => {
      const fromMd = plan.components[k.from.c]!.modelDescription;
      const toMd = plan.components[k.to.c]!.modelDescription;
      const fromVar = fromMd.variables.find((v) => v.name === k.from.name)!;
      const toVar = toMd.variables.find((v) => v.name === k.to.name)!;
      return {
        fromC: k.from.c,
        toC: k.to.c,
        type: k.type,
        get: prepared(
          this.comps[k.from.c] as FmiInstance,
          'get',
          fromVar.type,
          Uint32Array.of(fromVar.value_reference),
          fromMd.fmi_version,
        ),
        set: prepared(this.comps[k.to.c] as FmiInstance, 'set', toVar.type, Uint32Array.of(toVar.value_reference), toMd.fmi_version),
        factor: k.factor,
        offset: k.offset,
        continuous: this.isMe[k.to.c] === true && toVar.variability === 'continuous',
        toCs: this.isMe[k.to.c] !== true,
        last: NaN,
      };
    });
  }

  // ---------- bookkeeping ----------

  get worstStatus(): FmiStatusName {
    let worst = 0;
    for (const c of this.comps) worst = Math.max(worst, STATUS_ORDER.indexOf(c.worstStatus));
    return STATUS_ORDER[worst] ?? 'OK';
  }

  lastLogLines(count = 50): string[] {
    const lines: string[] = [];
    this.comps.forEach((c, i) => {
      for (const l of c.lastLogLines(count)) lines.push(`[${this.names[i]}] ${l}`);
    });
    return lines.slice(-count);
  }

  componentName(c: number): string {
    return this.names[c] ?? `#${c}`;
  }

  component(c: number): FmiInstance {
    return this.comps[c] as FmiInstance;
  }

  enter(c: number): void {
    this.onEnter?.(c);
  }

  // ---------- connections ----------

  /** Evaluates one connection; true when the destination's value changed. */
  private evaluate(k: LiveConnection): boolean {
    this.onEnter?.(k.fromC);
    k.get.run();
    const raw = readNumber(k.get.values, 0);
    const value = k.factor === 1 && k.offset === 0 ? raw : raw * k.factor + k.offset;
    const changed = value !== k.last && !(Number.isNaN(value) && Number.isNaN(k.last));
    k.last = value;
    writeNumber(k.set.values, 0, value);
    this.onEnter?.(k.toC);
    k.set.run();
    return changed;
  }

  /**
   * Evaluates the connections in order. `which`: 'continuous' (Continuous-Time Mode: continuous
   * inputs of ME components only), 'event' (every ME destination; CS ones too at a
   * communication point), 'all'.
   */
  propagate(which: 'continuous' | 'event' | 'all', csToo = false): boolean {
    let changed = false;
    for (const k of this.conns) {
      if (which === 'continuous' && !k.continuous) continue;
      if (which === 'event' && k.toCs && !csToo) continue;
      if (this.evaluate(k)) changed = true;
    }
    return changed;
  }

  /** Evaluates the connections into component c (Gauss–Seidel: just before its step). */
  propagateInto(c: number): void {
    for (const k of this.conns) if (k.toC === c) this.evaluate(k);
  }

  /**
   * Evaluates the connections whose source comes at or after their destination in `position`
   * (component → place in the stepping order): after a Gauss–Seidel step only those still hold
   * a value from the step's start; the others were evaluated after their source had stepped.
   */
  propagateStale(position: Int32Array): void {
    for (const k of this.conns) if ((position[k.fromC] as number) >= (position[k.toC] as number)) this.evaluate(k);
  }

  /** ME: pushes time and states into the ME components and evaluates the connections, once per point. */
  private sync(): void {
    if (!this.dirty || this.mode !== 'continuous') return;
    for (const c of this.meIdx) {
      const inst = this.comps[c] as FmiInstance;
      this.onEnter?.(c);
      inst.setTime(this.time);
      const buf = this.xBufs[c] as Float64Array;
      if (buf.length > 0) {
        const off = this.stateOffset[c] as number;
        for (let i = 0; i < buf.length; i++) buf[i] = this.x[off + i] as number;
        inst.setContinuousStates(buf);
      }
    }
    this.propagate('continuous');
    this.dirty = false;
  }

  // ---------- values, routed by system value reference ----------

  private route(type: VariableType, vrs: Uint32Array, nValues?: number): RoutePart[] {
    let byType = this.routes.get(vrs);
    if (byType === undefined) {
      byType = new Map();
      this.routes.set(vrs, byType);
    }
    const hit = byType.get(type);
    if (hit !== undefined) return hit;
    if (nValues !== undefined && nValues !== vrs.length) {
      throw new GatewayError('UNSUPPORTED_FEATURE', 'Array variables of components cannot be set or read in a system.');
    }
    const perComp = new Map<number, { vrs: number[]; pos: number[] }>();
    vrs.forEach((svr, pos) => {
      const addr = this.model.addresses[svr];
      if (addr === undefined || addr.targets.length === 0) {
        throw new GatewayError('BAD_REQUEST', `No system variable has value reference ${svr}.`);
      }
      for (const t of addr.targets) {
        const p = perComp.get(t.c) ?? { vrs: [], pos: [] };
        p.vrs.push(t.vr);
        p.pos.push(pos);
        perComp.set(t.c, p);
      }
    });
    const parts = [...perComp].map(([c, p]) => ({
      c,
      vrs: Uint32Array.from(p.vrs),
      buf: allocBuffer(this.plan.components[c]!.modelDescription.fmi_version, type, p.vrs.length),
      pos: Int32Array.from(p.pos),
    }));
    byType.set(type, parts);
    return parts;
  }

  getNumeric(type: VariableType, vrs: Uint32Array, out: NumericBuffer, nValues?: number): void {
    this.sync();
    for (const part of this.route(type, vrs, nValues)) {
      this.onEnter?.(part.c);
      (this.comps[part.c] as FmiInstance).getNumeric(type, part.vrs, part.buf);
      for (let i = 0; i < part.pos.length; i++) copyElement(part.buf, i, out, part.pos[i] as number);
    }
  }

  setNumeric(type: VariableType, vrs: Uint32Array, values: NumericBuffer, nValues?: number): void {
    const parts = this.route(type, vrs, nValues);
    if (this.mode === 'instantiated') {
      const copy = values.slice() as NumericBuffer;
      this.deferred.push(() => this.setNumeric(type, vrs, copy, nValues));
      return;
    }
    for (const part of parts) {
      for (let i = 0; i < part.pos.length; i++) copyElement(values, part.pos[i] as number, part.buf, i);
      this.onEnter?.(part.c);
      (this.comps[part.c] as FmiInstance).setNumeric(type, part.vrs, part.buf);
    }
    this.dirty = true;
  }

  /** The recorder's hot path: each component's part read by its own prepared native get. */
  prepareGet(type: VariableType, vrs: Uint32Array, nValues?: number): PreparedNumeric {
    const values = allocBuffer('3.0', type, nValues ?? vrs.length);
    const parts = this.route(type, vrs, nValues).map((part) => {
      const md = this.plan.components[part.c]!.modelDescription;
      return { c: part.c, pos: part.pos, access: prepared(this.comps[part.c] as FmiInstance, 'get', type, part.vrs, md.fmi_version) };
    });
    const run = (): void => {
      this.sync();
      for (const part of parts) {
        this.onEnter?.(part.c);
        part.access.run();
        for (let i = 0; i < part.pos.length; i++) copyElement(part.access.values, i, values, part.pos[i] as number);
      }
    };
    return { values, run };
  }

  getStrings(vrs: Uint32Array): string[] {
    this.sync();
    return Array.from(vrs, (svr) => {
      const t = this.model.addresses[svr]?.targets[0];
      if (t === undefined) throw new GatewayError('BAD_REQUEST', `No system variable has value reference ${svr}.`);
      return (this.comps[t.c] as FmiInstance).getStrings(Uint32Array.of(t.vr))[0] ?? '';
    });
  }

  setStrings(vrs: Uint32Array, values: readonly string[]): void {
    if (this.mode === 'instantiated') {
      const copy = [...values];
      this.deferred.push(() => this.setStrings(vrs, copy));
      return;
    }
    vrs.forEach((svr, i) => {
      for (const t of this.model.addresses[svr]?.targets ?? [])
        (this.comps[t.c] as FmiInstance).setStrings(Uint32Array.of(t.vr), [values[i] ?? '']);
    });
    this.dirty = true;
  }

  getBinary(): Uint8Array[] {
    throw new GatewayError('UNSUPPORTED_FEATURE', 'Binary variables are not supported in systems.', { feature: 'Binary' });
  }

  setBinary(): void {
    throw new GatewayError('UNSUPPORTED_FEATURE', 'Binary variables are not supported in systems.', { feature: 'Binary' });
  }

  // ---------- life cycle ----------

  enterConfigurationMode(): void {
    throw new GatewayError('UNSUPPORTED_FEATURE', 'Structural parameters are not supported in systems.', {
      feature: 'structuralParameter',
    });
  }

  exitConfigurationMode(): void {
    this.enterConfigurationMode();
  }

  enterInitializationMode(startTime: number, stopTime: number | undefined, tolerance: number | undefined): void {
    this.comps.forEach((inst, c) => {
      this.onEnter?.(c);
      inst.enterInitializationMode(startTime, stopTime, tolerance);
    });
    this.mode = 'initialization';
    this.time = startTime;
    this.lastComm = startTime;
    this.nextComm = this.csIdx.length > 0 && this.interface === 'ME' ? startTime + this.commStep : Infinity;
    for (const set of this.deferred.splice(0)) set();
  }

  exitInitializationMode(): void {
    // Initial values flow along the connections (in evaluation order) before the components leave.
    this.propagate('all');
    this.comps.forEach((inst, c) => {
      this.onEnter?.(c);
      inst.exitInitializationMode();
    });
    this.mode = this.interface === 'ME' ? 'event' : 'step';
    // Values computed on leaving Initialization Mode (CS) reach their destinations now.
    if (this.interface === 'CS') this.propagate('all');
  }

  // ---------- Co-Simulation ----------

  doStep(currentTime: number, stepSize: number): DoStepResult {
    if (this.stepper === undefined) throw new GatewayError('INTERNAL', 'The system has no co-simulation master.');
    return this.stepper(currentTime, stepSize);
  }

  // ---------- Model Exchange ----------

  setTime(time: number): void {
    if (time !== this.time) {
      this.time = time;
      this.dirty = true;
    }
  }

  setContinuousStates(x: Float64Array): void {
    this.x.set(x);
    this.dirty = true;
  }

  getContinuousStates(out: Float64Array): void {
    for (const c of this.meIdx) {
      const buf = this.xBufs[c] as Float64Array;
      if (buf.length === 0) continue;
      this.onEnter?.(c);
      (this.comps[c] as FmiInstance).getContinuousStates(buf);
      out.set(buf, this.stateOffset[c]);
    }
    this.x.set(out);
  }

  getDerivatives(out: Float64Array): void {
    this.sync();
    for (const c of this.meIdx) {
      const buf = this.xBufs[c] as Float64Array;
      if (buf.length === 0) continue;
      this.onEnter?.(c);
      (this.comps[c] as FmiInstance).getDerivatives(buf);
      const off = this.stateOffset[c] as number;
      for (let i = 0; i < buf.length; i++) out[off + i] = buf[i] as number;
    }
  }

  getEventIndicators(out: Float64Array): void {
    this.sync();
    for (const c of this.meIdx) {
      const buf = this.zBufs[c] as Float64Array;
      if (buf.length === 0) continue;
      this.onEnter?.(c);
      (this.comps[c] as FmiInstance).getEventIndicators(buf);
      const off = this.indicatorOffset[c] as number;
      for (let i = 0; i < buf.length; i++) out[off + i] = buf[i] as number;
    }
  }

  getNominalsOfContinuousStates(out: Float64Array): void {
    for (const c of this.meIdx) {
      const buf = this.xBufs[c] as Float64Array;
      if (buf.length === 0) continue;
      (this.comps[c] as FmiInstance).getNominalsOfContinuousStates(buf);
      out.set(buf, this.stateOffset[c]);
    }
  }

  enterEventMode(): void {
    this.sync();
    for (const c of this.meIdx) {
      this.onEnter?.(c);
      (this.comps[c] as FmiInstance).enterEventMode();
    }
    this.mode = 'event';
  }

  /**
   * One event iteration of the system: Co-Simulation components step when a communication point
   * is reached, connections are evaluated, every ME component updates its discrete states; the
   * system needs another iteration while a component asks for one or a connection changed.
   */
  newDiscreteStates(): EventUpdateResult {
    const r = this.eventResult;
    r.discreteStatesNeedUpdate = false;
    r.terminateSimulation = false;
    r.nominalsOfContinuousStatesChanged = false;
    r.valuesOfContinuousStatesChanged = false;
    let atComm = false;
    if (this.csIdx.length > 0 && this.time >= this.nextComm - 1e-9 * this.commStep) {
      const h = this.time - this.lastComm;
      for (const c of this.csIdx) {
        this.onEnter?.(c);
        const s = (this.comps[c] as FmiInstance).doStep(this.lastComm, h);
        if (s.terminate) r.terminateSimulation = true;
      }
      this.lastComm = this.time;
      this.nextComm = this.time + this.commStep;
      atComm = true;
    } else if (this.csIdx.length > 0 && this.time === this.lastComm) {
      atComm = true;
    }
    this.propagate('event', atComm);
    let next = this.csIdx.length > 0 ? this.nextComm : Infinity;
    for (const c of this.meIdx) {
      this.onEnter?.(c);
      const e = (this.comps[c] as FmiInstance).newDiscreteStates();
      if (e.discreteStatesNeedUpdate) r.discreteStatesNeedUpdate = true;
      if (e.terminateSimulation) r.terminateSimulation = true;
      if (e.nominalsOfContinuousStatesChanged) r.nominalsOfContinuousStatesChanged = true;
      if (e.valuesOfContinuousStatesChanged) r.valuesOfContinuousStatesChanged = true;
      if (e.nextEventTimeDefined && e.nextEventTime < next) next = e.nextEventTime;
    }
    // A changed output reaching another component is a new event iteration for the system.
    if (this.propagate('event', atComm)) r.discreteStatesNeedUpdate = true;
    r.nextEventTimeDefined = Number.isFinite(next);
    r.nextEventTime = Number.isFinite(next) ? next : 0;
    return r;
  }

  enterContinuousTimeMode(): void {
    for (const c of this.meIdx) {
      this.onEnter?.(c);
      (this.comps[c] as FmiInstance).enterContinuousTimeMode();
    }
    this.mode = 'continuous';
    this.dirty = true;
  }

  completedIntegratorStep(noSetFMUStatePriorToCurrentPoint: boolean): StepCompletionResult {
    this.sync();
    const r = this.completion;
    r.enterEventMode = false;
    r.terminateSimulation = false;
    for (const c of this.meIdx) {
      const inst = this.comps[c] as FmiInstance;
      if (inst.modelDescription.model_exchange?.completed_integrator_step_not_needed === true) continue;
      this.onEnter?.(c);
      const s = inst.completedIntegratorStep(noSetFMUStatePriorToCurrentPoint);
      if (s.enterEventMode) r.enterEventMode = true;
      if (s.terminateSimulation) r.terminateSimulation = true;
    }
    return r;
  }

  terminate(): void {
    this.comps.forEach((inst, c) => {
      this.onEnter?.(c);
      inst.terminate();
    });
    this.mode = 'terminated';
  }

  reset(): void {
    for (const inst of this.comps) inst.reset();
    this.mode = 'instantiated';
  }

  free(): void {
    for (const inst of this.comps) inst.free();
  }
}
