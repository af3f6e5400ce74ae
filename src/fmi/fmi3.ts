/**
 * FMI 3.0 binding, two tiers: `declareFmi3` (fmi3-raw.ts) binds the raw C-named functions of
 * the specification (our own declarations), `Fmi3InstanceImpl` is the friendly wrapper
 * implementing FmiInstance. Every call goes through the instance's StatusChecker.
 * Arrays (variables with <Dimension>): get/set take nValues, the elements behind the value
 * references, each array serialized in row-major order as FMI 3 specifies.
 */
import { GatewayError } from '../errors.ts';
import type { InterfaceKind, ModelDescription, VariableType } from '../schemas/model-description.ts';
import { StatusChecker } from './checker.ts';
import { type ChunkContext, prepareCsChunk, prepareEulerChunk } from './fmi-chunks.ts';
import type {
  CsChunk,
  DoStepResult,
  EulerChunk,
  EulerChunkSpec,
  EventUpdateResult,
  FmiInstance,
  FmiStatusName,
  InstantiateOptions,
  NumericBuffer,
  OutputGroup,
  PreparedNumeric,
  StepCompletionResult,
} from './instance.ts';
import { type Fmi3Instance, koffi, NativeArena, type NumericCtor, readCString, STATUS_DISCARD, statusName } from './koffi-types.ts';
import { LogRing, registerFmi3Logger, type RegisteredCallback } from './logger.ts';
import { newDoStepResult, newEventUpdateResult, newStepCompletionResult } from './step-results.ts';
import { FN_TYPE, type Fmi3Raw, type NativeStatus } from './fmi3-raw.ts';
import { symbolAddresses } from './symbol-addresses.ts';

/**
 * Model Exchange per-step calls on koffi's fast path (see ME_ADDR in fmi3-raw.ts): vectors go through
 * `reals`, native memory of the instance, copied element by element (cheaper than koffi's
 * typed-array marshalling for the few states a model has); `flags` takes the C bool out-arguments.
 */
interface Fmi3MeFast {
  handle: number;
  setTime: NativeStatus;
  setStates: NativeStatus;
  getDerivatives: NativeStatus;
  getIndicators: NativeStatus;
  completed: NativeStatus;
  reals: Float64Array;
  realsAddr: number;
  flags: Uint8Array;
  flagsAddr: number;
}

const CTORS: Partial<Record<VariableType, [NumericCtor, number]>> = {
  Float32: [Float32Array, 4],
  Float64: [Float64Array, 8],
  Int8: [Int8Array, 1],
  UInt8: [Uint8Array, 1],
  Int16: [Int16Array, 2],
  UInt16: [Uint16Array, 2],
  Int32: [Int32Array, 4],
  UInt32: [Uint32Array, 4],
  Int64: [BigInt64Array, 8],
  UInt64: [BigUint64Array, 8],
  Boolean: [Uint8Array, 1],
  Enumeration: [BigInt64Array, 8],
};

export class Fmi3InstanceImpl implements FmiInstance {
  readonly fmiVersion = '3.0' as const;
  readonly interface: InterfaceKind;
  private readonly ring: LogRing;
  private readonly checker: StatusChecker;
  private readonly logger: RegisteredCallback;
  private inst: Fmi3Instance | undefined;
  private readonly doStepFn: NativeStatus | undefined;
  private readonly getFns = new Map<VariableType, { name: string; fn: NativeStatus }>();
  private readonly setFns = new Map<VariableType, { name: string; fn: NativeStatus }>();
  // Preallocated out-arguments (C bool = one byte) and reused results.
  private readonly b = [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)] as const;
  private readonly dOut = new Float64Array(1);
  private doStepFast: ((currentTime: number, stepSize: number) => number) | undefined;
  /** fmi3DoStep's out-arguments in native memory, for doStepFast: three C bools, then lastSuccessfulTime. */
  private fastFlags = new Uint8Array(3);
  private fastLast = new Float64Array(1);
  private me: Fmi3MeFast | undefined;
  private ptrs = new BigUint64Array(8);
  private readonly arena = new NativeArena();
  private sizes = new BigUint64Array(8);
  private readonly stepResult: DoStepResult = newDoStepResult();
  private readonly eventResult: EventUpdateResult = newEventUpdateResult();
  private readonly completion: StepCompletionResult = newStepCompletionResult();

  constructor(
    private readonly raw: Fmi3Raw,
    readonly modelDescription: ModelDescription,
    resourcePath: string,
    options: InstantiateOptions,
  ) {
    this.interface = options.interface;
    const name = options.instanceName ?? modelDescription.model_name;
    this.ring = new LogRing(options.onLog);
    this.checker = new StatusChecker(this.ring, name);
    for (const [vt, t] of Object.entries(FN_TYPE) as [VariableType, string][]) {
      const g = raw[`fmi3Get${t}`];
      const s = raw[`fmi3Set${t}`];
      if (g) this.getFns.set(vt, { name: `fmi3Get${t}`, fn: g as NativeStatus });
      if (s) this.setFns.set(vt, { name: `fmi3Set${t}`, fn: s as NativeStatus });
    }
    this.doStepFn = raw.fmi3DoStep as NativeStatus | undefined;
    this.logger = registerFmi3Logger(this.ring, name);
    const loggingOn = options.loggingOn !== false;
    const handle: unknown =
      this.interface === 'CS'
        ? this.fn('fmi3InstantiateCoSimulation')(
            name,
            modelDescription.guid,
            resourcePath,
            false,
            loggingOn,
            false,
            false,
            null,
            0,
            null,
            this.logger.pointer,
            null,
          )
        : this.fn('fmi3InstantiateModelExchange')(name, modelDescription.guid, resourcePath, false, loggingOn, null, this.logger.pointer);
    if (handle === null || handle === 0n || handle === 0 || handle === undefined) {
      this.logger.unregister();
      throw this.checker.failure(
        this.interface === 'CS' ? 'fmi3InstantiateCoSimulation' : 'fmi3InstantiateModelExchange',
        'NULL',
        'the FMU refused to instantiate; check the instantiation token, the resources and the FMU log',
      );
    }
    this.inst = BigInt(handle as bigint) as Fmi3Instance;
    this.prepareDoStep(raw);
    if (this.interface === 'ME') this.me = this.prepareMe();
  }

  /** The ME fast path, when every address variant is bound and the addresses fit a double. */
  private prepareMe(): Fmi3MeFast | undefined {
    const f = (name: string): NativeStatus | undefined => this.raw[`${name}@addr`] as NativeStatus | undefined;
    const [setTime, setStates, getDerivatives, getIndicators, completed] = [
      f('fmi3SetTime'),
      f('fmi3SetContinuousStates'),
      f('fmi3GetContinuousStateDerivatives'),
      f('fmi3GetEventIndicators'),
      f('fmi3CompletedIntegratorStep'),
    ];
    const handle = Number(this.inst);
    const md = this.modelDescription;
    const capacity = Math.max(1, md.number_of_continuous_states, md.number_of_event_indicators);
    const reals = this.arena.alloc(8 * capacity);
    const flags = this.arena.alloc(2);
    if (
      !setTime ||
      !setStates ||
      !getDerivatives ||
      !getIndicators ||
      !completed ||
      !Number.isSafeInteger(handle) ||
      reals.addr === undefined ||
      flags.addr === undefined
    )
      return undefined;
    return {
      handle,
      setTime,
      setStates,
      getDerivatives,
      getIndicators,
      completed,
      reals: new Float64Array(reals.buffer, reals.offset, capacity),
      realsAddr: reals.addr,
      flags: new Uint8Array(flags.buffer, flags.offset, 2),
      flagsAddr: flags.addr,
    };
  }

  /** Calls a fast-path vector getter and copies the values out; vectors longer than the scratch take the generic call. */
  private getReals(name: string, fast: NativeStatus | undefined, out: Float64Array): number {
    const me = this.me;
    const n = out.length;
    if (me === undefined || fast === undefined || n > me.reals.length) return this.checker.check(name, this.fn(name)(this.handle, out, n));
    const status = fast(me.handle, me.realsAddr, n);
    if (status !== 0) this.checker.check(name, status);
    const buf = me.reals;
    for (let i = 0; i < n; i++) out[i] = buf[i] as number;
    return status;
  }

  /** Out-arguments of fmi3DoStep in native memory, passed by address: the per-step call marshals nothing. */
  private prepareDoStep(raw: Fmi3Raw): void {
    const fn = raw['fmi3DoStep@addr'] as NativeStatus | undefined;
    const handle = Number(this.inst);
    const flags = this.arena.alloc(3);
    const time = this.arena.alloc(8);
    if (!fn || !Number.isSafeInteger(handle) || flags.addr === undefined || time.addr === undefined) return;
    const [a0, a1, a2, t] = [flags.addr, flags.addr + 1, flags.addr + 2, time.addr];
    this.fastFlags = new Uint8Array(flags.buffer, flags.offset, 3);
    this.fastLast = new Float64Array(time.buffer, time.offset, 1);
    this.doStepFast = (currentTime, stepSize) => fn(handle, currentTime, stepSize, true, a0, a1, a2, t);
  }

  get worstStatus(): FmiStatusName {
    return this.checker.worstStatus;
  }

  lastLogLines(count?: number): string[] {
    return this.ring.last(count);
  }

  private fn(name: string): NativeStatus {
    const f = this.raw[name];
    if (!f)
      throw new GatewayError('FMI_CALL_FAILED', `${name} is not exported by this FMU or not available for its interface.`, {
        function: name,
      });
    return f as NativeStatus;
  }

  private get handle(): Fmi3Instance {
    if (this.inst === undefined) throw new GatewayError('INTERNAL', 'FMI 3 instance used after free().');
    return this.inst;
  }

  enterInitializationMode(startTime: number, stopTime: number | undefined, tolerance: number | undefined): void {
    this.checker.check(
      'fmi3EnterInitializationMode',
      this.fn('fmi3EnterInitializationMode')(
        this.handle,
        tolerance !== undefined,
        tolerance ?? 0,
        startTime,
        stopTime !== undefined,
        stopTime ?? 0,
      ),
    );
  }

  exitInitializationMode(): void {
    this.checker.check('fmi3ExitInitializationMode', this.fn('fmi3ExitInitializationMode')(this.handle));
  }

  enterConfigurationMode(): void {
    if (!this.raw.fmi3EnterConfigurationMode)
      throw new GatewayError(
        'UNSUPPORTED_FEATURE',
        'This FMU does not export fmi3EnterConfigurationMode, so its structural parameters cannot be changed; leave them at their start values.',
        { feature: 'Configuration Mode' },
      );
    this.checker.check('fmi3EnterConfigurationMode', this.fn('fmi3EnterConfigurationMode')(this.handle));
  }

  exitConfigurationMode(): void {
    this.checker.check('fmi3ExitConfigurationMode', this.fn('fmi3ExitConfigurationMode')(this.handle));
  }

  private typed(
    map: Map<VariableType, { name: string; fn: NativeStatus }>,
    type: VariableType,
    verb: string,
  ): { name: string; fn: NativeStatus } {
    const e = map.get(type);
    if (!e)
      throw new GatewayError(
        'BAD_REQUEST',
        `fmi3${verb}${FN_TYPE[type] ?? type} is not available (type ${type} is unsupported or not exported).`,
      );
    return e;
  }

  /** nValues of an FMI 3 get/set: the elements behind vrs (arrays count all theirs), checked against the buffer. */
  private static count(vrs: Uint32Array, buffer: NumericBuffer, nValues: number | undefined): number {
    const n = nValues ?? vrs.length;
    // n may be below vrs.length: an array of size 0 contributes no values.
    if (!(Number.isInteger(n) && n >= 0 && n <= buffer.length))
      throw new GatewayError('INTERNAL', `FMI 3 get/set of ${vrs.length} variables with ${n} values into a buffer of ${buffer.length}.`);
    return n;
  }

  getNumeric(type: VariableType, vrs: Uint32Array, out: NumericBuffer, nValues?: number): void {
    const e = this.typed(this.getFns, type, 'Get');
    this.checker.check(e.name, e.fn(this.handle, vrs, vrs.length, out, Fmi3InstanceImpl.count(vrs, out, nValues)));
  }

  setNumeric(type: VariableType, vrs: Uint32Array, values: NumericBuffer, nValues?: number): void {
    const e = this.typed(this.setFns, type, 'Set');
    this.checker.check(e.name, e.fn(this.handle, vrs, vrs.length, values, Fmi3InstanceImpl.count(vrs, values, nValues)));
  }

  prepareGet(type: VariableType, vrs: Uint32Array, nValues?: number): PreparedNumeric {
    return this.prepare(this.getFns, 'Get', type, vrs, nValues ?? vrs.length);
  }

  prepareSet(type: VariableType, vrs: Uint32Array, nValues?: number): PreparedNumeric {
    return this.prepare(this.setFns, 'Set', type, vrs, nValues ?? vrs.length);
  }

  private prepare(
    map: Map<VariableType, { name: string; fn: NativeStatus }>,
    verb: 'Get' | 'Set',
    type: VariableType,
    vrs: Uint32Array,
    nValues: number,
  ): PreparedNumeric {
    const entry = this.typed(map, type, verb);
    const spec = CTORS[type];
    if (!spec) throw new GatewayError('BAD_REQUEST', `Type ${type} has no numeric get/set.`);
    const [Ctor, size] = spec;
    const n = vrs.length;
    const vrMem = this.arena.alloc(4 * n);
    new Uint32Array(vrMem.buffer, vrMem.offset, n).set(vrs);
    const valMem = this.arena.alloc(size * nValues);
    const values = new Ctor(valMem.buffer, valMem.offset, nValues);
    const fn = this.raw[`${entry.name}@addr`] as NativeStatus | undefined;
    const handle = Number(this.handle);
    if (!fn || vrMem.addr === undefined || valMem.addr === undefined || !Number.isSafeInteger(handle)) {
      const slow = verb === 'Get' ? () => this.getNumeric(type, vrs, values, nValues) : () => this.setNumeric(type, vrs, values, nValues);
      return { values, run: slow };
    }
    const vrAddr = vrMem.addr;
    const valAddr = valMem.addr;
    const name = entry.name;
    return {
      values,
      run: () => {
        if (this.inst === undefined) throw new GatewayError('INTERNAL', 'FMI 3 instance used after free().');
        const status = fn(handle, vrAddr, n, valAddr, nValues);
        if (status !== 0) this.checker.check(name, status);
      },
    };
  }

  private ensure(n: number): void {
    if (this.ptrs.length < n) {
      this.ptrs = new BigUint64Array(n);
      this.sizes = new BigUint64Array(n);
    }
  }

  getStrings(vrs: Uint32Array): string[] {
    this.ensure(vrs.length);
    this.checker.check('fmi3GetString', this.fn('fmi3GetString')(this.handle, vrs, vrs.length, this.ptrs, vrs.length));
    const out: string[] = new Array<string>(vrs.length);
    for (let i = 0; i < vrs.length; i++) out[i] = readCString(this.ptrs[i] ?? 0n);
    return out;
  }

  setStrings(vrs: Uint32Array, values: readonly string[]): void {
    this.checker.check('fmi3SetString', this.fn('fmi3SetString')(this.handle, vrs, vrs.length, [...values], vrs.length));
  }

  getBinary(vrs: Uint32Array): Uint8Array[] {
    this.ensure(vrs.length);
    this.checker.check('fmi3GetBinary', this.fn('fmi3GetBinary')(this.handle, vrs, vrs.length, this.sizes, this.ptrs, vrs.length));
    const out: Uint8Array[] = [];
    for (let i = 0; i < vrs.length; i++) {
      const size = Number(this.sizes[i] ?? 0n);
      const ptr = this.ptrs[i] ?? 0n;
      // Copy out: the FMU owns the memory only until its next call.
      out.push(size === 0 || ptr === 0n ? new Uint8Array(0) : new Uint8Array(koffi.view(ptr, size).slice(0)));
    }
    return out;
  }

  setBinary(vrs: Uint32Array, values: readonly Uint8Array[]): void {
    const n = vrs.length;
    const sizes = new BigUint64Array(n);
    const ptrs = new BigUint64Array(n);
    const owned: bigint[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const v = values[i] ?? new Uint8Array(0);
        sizes[i] = BigInt(v.length);
        // Stable native copies: a JS buffer's address is only valid as a direct argument.
        const p = koffi.alloc('uint8_t', Math.max(1, v.length)) as bigint;
        owned.push(p);
        new Uint8Array(koffi.view(p, Math.max(1, v.length))).set(v);
        ptrs[i] = p;
      }
      this.checker.check('fmi3SetBinary', this.fn('fmi3SetBinary')(this.handle, vrs, n, sizes, ptrs, n));
    } finally {
      for (const p of owned) koffi.free(p);
    }
  }

  private chunkContext(): ChunkContext | undefined {
    const handle = Number(this.inst);
    if (this.inst === undefined || !Number.isSafeInteger(handle)) return undefined;
    const a = symbolAddresses(this.raw);
    const r = this.stepResult;
    return {
      version: 3,
      handle,
      arena: this.arena,
      checker: this.checker,
      symbols: {
        doStep: a.fmi3DoStep,
        getter: (type) => {
          const [name, kind] =
            type === 'Float64'
              ? ['fmi3GetFloat64', 0]
              : type === 'Int32'
                ? ['fmi3GetInt32', 1]
                : type === 'Boolean'
                  ? ['fmi3GetBoolean', 2]
                  : ['', -1];
          const addr = a[name];
          return addr === undefined ? undefined : { addr, kind: kind as number };
        },
        derivatives: a.fmi3GetContinuousStateDerivatives,
        setTime: a.fmi3SetTime,
        setStates: a.fmi3SetContinuousStates,
        completed: a.fmi3CompletedIntegratorStep,
      },
      live: () => this.inst !== undefined,
      // As doStep(): Error / Fatal throw, Discard or the terminate flag end the run.
      notPlainStep: (raw, _t, _h, flags, lastSuccessfulTime) => {
        const status = raw === 0 ? 0 : this.checker.check('fmi3DoStep', raw);
        r.status = statusName(status);
        r.eventHandlingNeeded = flags[0] !== 0;
        r.terminate = status === STATUS_DISCARD || flags[1] !== 0;
        r.earlyReturn = flags[2] !== 0;
        r.lastSuccessfulTime = lastSuccessfulTime;
        return r;
      },
      completion: this.completion,
    };
  }

  prepareCsChunk(groups: readonly OutputGroup[]): CsChunk | undefined {
    const ctx = this.interface === 'CS' ? this.chunkContext() : undefined;
    return ctx === undefined ? undefined : prepareCsChunk(ctx, groups);
  }

  prepareEulerChunk(spec: EulerChunkSpec): EulerChunk | undefined {
    const ctx = this.interface === 'ME' ? this.chunkContext() : undefined;
    return ctx === undefined ? undefined : prepareEulerChunk(ctx, spec);
  }

  doStep(currentTime: number, stepSize: number): DoStepResult {
    if (!this.doStepFn) throw new GatewayError('BAD_REQUEST', 'doStep needs a Co-Simulation instance.');
    const r = this.stepResult;
    if (this.doStepFast !== undefined && this.inst !== undefined) {
      // lastSuccessfulTime defaults to the step's end for FMUs that leave it unset.
      this.fastLast[0] = currentTime + stepSize;
      const raw = this.doStepFast(currentTime, stepSize);
      const status = raw === 0 ? 0 : this.checker.check('fmi3DoStep', raw);
      r.status = status === 0 ? 'OK' : statusName(status);
      r.eventHandlingNeeded = this.fastFlags[0] !== 0;
      r.terminate = status === STATUS_DISCARD || this.fastFlags[1] !== 0;
      r.earlyReturn = this.fastFlags[2] !== 0;
      r.lastSuccessfulTime = this.fastLast[0] ?? currentTime + stepSize;
      return r;
    }
    const [ehn, term, early] = this.b;
    this.dOut[0] = currentTime + stepSize;
    const status = this.checker.check('fmi3DoStep', this.doStepFn(this.handle, currentTime, stepSize, true, ehn, term, early, this.dOut));
    r.status = statusName(status);
    r.eventHandlingNeeded = ehn[0] !== 0;
    r.earlyReturn = early[0] !== 0;
    r.terminate = status === STATUS_DISCARD || term[0] !== 0;
    r.lastSuccessfulTime = this.dOut[0] ?? currentTime + stepSize;
    return r;
  }

  setTime(time: number): void {
    const me = this.me;
    const status = me !== undefined ? me.setTime(me.handle, time) : this.fn('fmi3SetTime')(this.handle, time);
    if (status !== 0) this.checker.check('fmi3SetTime', status);
  }
  setContinuousStates(x: Float64Array): void {
    const me = this.me;
    const n = x.length;
    if (me === undefined || n > me.reals.length) {
      this.checker.check('fmi3SetContinuousStates', this.fn('fmi3SetContinuousStates')(this.handle, x, n));
      return;
    }
    const buf = me.reals;
    for (let i = 0; i < n; i++) buf[i] = x[i] as number;
    const status = me.setStates(me.handle, me.realsAddr, n);
    if (status !== 0) this.checker.check('fmi3SetContinuousStates', status);
  }
  getContinuousStates(out: Float64Array): void {
    this.checker.check('fmi3GetContinuousStates', this.fn('fmi3GetContinuousStates')(this.handle, out, out.length));
  }
  getDerivatives(out: Float64Array): void {
    // Discard: the FMU could not evaluate the model at this point (e.g. outside its domain) and
    // `out` is meaningless. NaN makes the solvers reject the step and retry a shorter one.
    if (this.getReals('fmi3GetContinuousStateDerivatives', this.me?.getDerivatives, out) === STATUS_DISCARD) out.fill(NaN);
  }
  getEventIndicators(out: Float64Array): void {
    this.getReals('fmi3GetEventIndicators', this.me?.getIndicators, out);
  }
  getNominalsOfContinuousStates(out: Float64Array): void {
    this.checker.check('fmi3GetNominalsOfContinuousStates', this.fn('fmi3GetNominalsOfContinuousStates')(this.handle, out, out.length));
  }
  enterEventMode(): void {
    this.checker.check('fmi3EnterEventMode', this.fn('fmi3EnterEventMode')(this.handle));
  }

  newDiscreteStates(): EventUpdateResult {
    const [a, b, c, d, e] = this.b;
    this.checker.check('fmi3UpdateDiscreteStates', this.fn('fmi3UpdateDiscreteStates')(this.handle, a, b, c, d, e, this.dOut));
    const r = this.eventResult;
    r.discreteStatesNeedUpdate = a[0] !== 0;
    r.terminateSimulation = b[0] !== 0;
    r.nominalsOfContinuousStatesChanged = c[0] !== 0;
    r.valuesOfContinuousStatesChanged = d[0] !== 0;
    r.nextEventTimeDefined = e[0] !== 0;
    r.nextEventTime = this.dOut[0] ?? 0;
    return r;
  }

  enterContinuousTimeMode(): void {
    this.checker.check('fmi3EnterContinuousTimeMode', this.fn('fmi3EnterContinuousTimeMode')(this.handle));
  }

  completedIntegratorStep(noSetFMUStatePriorToCurrentPoint: boolean): StepCompletionResult {
    const me = this.me;
    if (me !== undefined) {
      const status = me.completed(me.handle, noSetFMUStatePriorToCurrentPoint, me.flagsAddr, me.flagsAddr + 1);
      if (status !== 0) this.checker.check('fmi3CompletedIntegratorStep', status);
      this.completion.enterEventMode = me.flags[0] !== 0;
      this.completion.terminateSimulation = me.flags[1] !== 0;
      return this.completion;
    }
    const [a, b] = this.b;
    this.checker.check(
      'fmi3CompletedIntegratorStep',
      this.fn('fmi3CompletedIntegratorStep')(this.handle, noSetFMUStatePriorToCurrentPoint, a, b),
    );
    this.completion.enterEventMode = a[0] !== 0;
    this.completion.terminateSimulation = b[0] !== 0;
    return this.completion;
  }

  terminate(): void {
    this.checker.check('fmi3Terminate', this.fn('fmi3Terminate')(this.handle));
  }
  reset(): void {
    this.checker.check('fmi3Reset', this.fn('fmi3Reset')(this.handle));
  }

  free(): void {
    if (this.inst !== undefined) {
      const inst = this.inst;
      this.inst = undefined;
      this.doStepFast = undefined;
      this.me = undefined;
      this.fn('fmi3FreeInstance')(inst);
    }
    // The log callback may fire until fmi3FreeInstance returns: unregister only now.
    this.logger.unregister();
    this.arena.freeAll();
  }
}
