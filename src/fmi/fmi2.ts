/**
 * FMI 2.0 binding, two tiers: `declareFmi2` (fmi2-raw.ts) binds the raw C-named functions of
 * the specification (our own declarations), `Fmi2InstanceImpl` is the friendly wrapper
 * implementing FmiInstance. Every call goes through the instance's StatusChecker.
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
import {
  Fmi2CallbackFunctions,
  type Fmi2Component,
  koffi,
  libcAllocators,
  NativeArena,
  readCString,
  STATUS_DISCARD,
  statusName,
} from './koffi-types.ts';
import { LogRing, registerFmi2Logger, type RegisteredCallback } from './logger.ts';
import { symbolAddresses } from './symbol-addresses.ts';
import { newDoStepResult, newEventUpdateResult, newStepCompletionResult } from './step-results.ts';
import { FMI2_LAST_SUCCESSFUL_TIME, FMI2_TERMINATED, type Fmi2Raw, type NativeStatus, need } from './fmi2-raw.ts';

function noSuchType(type: VariableType): GatewayError {
  return new GatewayError('BAD_REQUEST', `FMI 2.0 has no variables of type ${type} (only Real, Integer, Enumeration, Boolean, String).`);
}

/**
 * Model Exchange per-step calls on koffi's fast path (see ME_ADDR in fmi2-raw.ts): vectors go through
 * `reals`, native memory of the instance, copied element by element (cheaper than koffi's
 * typed-array marshalling for the few states a model has); `flags` takes the out-arguments.
 */
interface Fmi2MeFast {
  handle: number;
  setTime: NativeStatus;
  setStates: NativeStatus;
  getDerivatives: NativeStatus;
  getIndicators: NativeStatus;
  completed: NativeStatus;
  reals: Float64Array;
  realsAddr: number;
  flags: Int32Array;
  flagsAddr: number;
}

export class Fmi2InstanceImpl implements FmiInstance {
  readonly fmiVersion = '2.0' as const;
  readonly interface: InterfaceKind;
  private readonly ring: LogRing;
  private readonly checker: StatusChecker;
  private readonly logger: RegisteredCallback;
  private callbacks: bigint | undefined;
  private c: Fmi2Component | undefined;
  // Bound once so the hot path does no lookups.
  private readonly getReal: NativeStatus;
  private readonly getInteger: NativeStatus;
  private readonly getBoolean: NativeStatus;
  private readonly setReal: NativeStatus;
  private readonly setInteger: NativeStatus;
  private readonly setBoolean: NativeStatus;
  private readonly doStepFn: NativeStatus | undefined;
  private doStepAddr: NativeStatus | undefined;
  private handleNumber = 0;
  private me: Fmi2MeFast | undefined;
  // Preallocated out-arguments and reused results.
  private readonly intOut = new Int32Array(1);
  private readonly intOut2 = new Int32Array(1);
  private readonly realOut = new Float64Array(1);
  private readonly eventInfo = new ArrayBuffer(32);
  private readonly eventInfoBytes = new Uint8Array(this.eventInfo);
  private readonly eventInfoInts = new Int32Array(this.eventInfo, 0, 5);
  private readonly eventInfoTime = new Float64Array(this.eventInfo, 24, 1);
  private stringPtrs = new BigUint64Array(8);
  private readonly arena = new NativeArena();
  private readonly stepResult: DoStepResult = newDoStepResult();
  private readonly eventResult: EventUpdateResult = newEventUpdateResult();
  private readonly completion: StepCompletionResult = newStepCompletionResult();

  constructor(
    private readonly raw: Fmi2Raw,
    readonly modelDescription: ModelDescription,
    resourceUri: string,
    options: InstantiateOptions,
  ) {
    this.interface = options.interface;
    const name = options.instanceName ?? modelDescription.model_name;
    this.ring = new LogRing(options.onLog);
    this.checker = new StatusChecker(this.ring, name);
    this.getReal = need(raw, 'fmi2GetReal');
    this.getInteger = need(raw, 'fmi2GetInteger');
    this.getBoolean = need(raw, 'fmi2GetBoolean');
    this.setReal = need(raw, 'fmi2SetReal');
    this.setInteger = need(raw, 'fmi2SetInteger');
    this.setBoolean = need(raw, 'fmi2SetBoolean');
    this.doStepFn = raw.fmi2DoStep as NativeStatus | undefined;
    this.logger = registerFmi2Logger(this.ring);
    const { calloc, free } = libcAllocators();
    // The FMU may keep the pointer to this struct until fmi2FreeInstance, so it is native memory.
    const callbacks = koffi.alloc(Fmi2CallbackFunctions, 1) as bigint;
    koffi.encode(callbacks, Fmi2CallbackFunctions, {
      logger: this.logger.pointer,
      allocateMemory: calloc,
      freeMemory: free,
      stepFinished: null,
      componentEnvironment: null,
    });
    this.callbacks = callbacks;
    const handle = need(raw, 'fmi2Instantiate')(
      name,
      this.interface === 'CS' ? 1 : 0,
      modelDescription.guid,
      resourceUri,
      callbacks,
      0,
      options.loggingOn === false ? 0 : 1,
    ) as unknown;
    if (handle === null || handle === 0n || handle === 0 || handle === undefined) {
      this.release();
      throw this.checker.failure(
        'fmi2Instantiate',
        'NULL',
        'the FMU refused to instantiate; check the GUID, the resources and the FMU log',
      );
    }
    this.c = BigInt(handle as bigint) as Fmi2Component;
    // Address-as-number fast path only where the pointer fits a double exactly (user-space addresses do).
    const asNumber = Number(this.c);
    if (Number.isSafeInteger(asNumber)) {
      this.handleNumber = asNumber;
      this.doStepAddr = raw['fmi2DoStep@addr'] as NativeStatus | undefined;
      if (this.interface === 'ME') this.me = this.prepareMe(asNumber);
    }
  }

  /** The ME fast path, when every address variant is bound and the buffers' addresses fit a double. */
  private prepareMe(handle: number): Fmi2MeFast | undefined {
    const f = (name: string): NativeStatus | undefined => this.raw[`${name}@addr`] as NativeStatus | undefined;
    const [setTime, setStates, getDerivatives, getIndicators, completed] = [
      f('fmi2SetTime'),
      f('fmi2SetContinuousStates'),
      f('fmi2GetDerivatives'),
      f('fmi2GetEventIndicators'),
      f('fmi2CompletedIntegratorStep'),
    ];
    const md = this.modelDescription;
    const capacity = Math.max(1, md.number_of_continuous_states, md.number_of_event_indicators);
    const reals = this.arena.alloc(8 * capacity);
    const flags = this.arena.alloc(8);
    if (!setTime || !setStates || !getDerivatives || !getIndicators || !completed || reals.addr === undefined || flags.addr === undefined)
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
      flags: new Int32Array(flags.buffer, flags.offset, 2),
      flagsAddr: flags.addr,
    };
  }

  /** Calls a fast-path vector getter and copies the values out; vectors longer than the scratch take the generic call. */
  private getReals(name: string, fast: NativeStatus | undefined, out: Float64Array): number {
    const me = this.me;
    const n = out.length;
    if (me === undefined || fast === undefined || n > me.reals.length)
      return this.checker.check(name, need(this.raw, name)(this.handle, out, n));
    const status = fast(me.handle, me.realsAddr, n);
    if (status !== 0) this.checker.check(name, status);
    const buf = me.reals;
    for (let i = 0; i < n; i++) out[i] = buf[i] as number;
    return status;
  }

  get worstStatus(): FmiStatusName {
    return this.checker.worstStatus;
  }

  lastLogLines(count?: number): string[] {
    return this.ring.last(count);
  }

  private get handle(): Fmi2Component {
    if (this.c === undefined) throw new GatewayError('INTERNAL', 'FMI 2 instance used after free().');
    return this.c;
  }

  enterInitializationMode(startTime: number, stopTime: number | undefined, tolerance: number | undefined): void {
    this.checker.check(
      'fmi2SetupExperiment',
      need(this.raw, 'fmi2SetupExperiment')(
        this.handle,
        tolerance === undefined ? 0 : 1,
        tolerance ?? 0,
        startTime,
        stopTime === undefined ? 0 : 1,
        stopTime ?? 0,
      ),
    );
    this.checker.check('fmi2EnterInitializationMode', need(this.raw, 'fmi2EnterInitializationMode')(this.handle));
  }

  exitInitializationMode(): void {
    this.checker.check('fmi2ExitInitializationMode', need(this.raw, 'fmi2ExitInitializationMode')(this.handle));
  }

  enterConfigurationMode(): void {
    throw new GatewayError('BAD_REQUEST', 'FMI 2.0 has no Configuration Mode (structural parameters are FMI 3).');
  }

  exitConfigurationMode(): void {
    this.enterConfigurationMode();
  }

  // A switch on the type with constant function names: no lookups or string building per call.
  getNumeric(type: VariableType, vrs: Uint32Array, out: NumericBuffer): void {
    const c = this.handle;
    switch (type) {
      case 'Float64':
        this.checker.check('fmi2GetReal', this.getReal(c, vrs, vrs.length, out));
        return;
      case 'Int32':
      case 'Enumeration':
        this.checker.check('fmi2GetInteger', this.getInteger(c, vrs, vrs.length, out));
        return;
      case 'Boolean':
        this.checker.check('fmi2GetBoolean', this.getBoolean(c, vrs, vrs.length, out));
        return;
      default:
        throw noSuchType(type);
    }
  }

  setNumeric(type: VariableType, vrs: Uint32Array, values: NumericBuffer): void {
    const c = this.handle;
    switch (type) {
      case 'Float64':
        this.checker.check('fmi2SetReal', this.setReal(c, vrs, vrs.length, values));
        return;
      case 'Int32':
      case 'Enumeration':
        this.checker.check('fmi2SetInteger', this.setInteger(c, vrs, vrs.length, values));
        return;
      case 'Boolean':
        this.checker.check('fmi2SetBoolean', this.setBoolean(c, vrs, vrs.length, values));
        return;
      default:
        throw noSuchType(type);
    }
  }

  prepareGet(type: VariableType, vrs: Uint32Array): PreparedNumeric {
    return this.prepare('Get', type, vrs);
  }

  prepareSet(type: VariableType, vrs: Uint32Array): PreparedNumeric {
    return this.prepare('Set', type, vrs);
  }

  private prepare(verb: 'Get' | 'Set', type: VariableType, vrs: Uint32Array): PreparedNumeric {
    const kind =
      type === 'Float64' ? 'Real' : type === 'Int32' || type === 'Enumeration' ? 'Integer' : type === 'Boolean' ? 'Boolean' : undefined;
    if (!kind) throw noSuchType(type);
    const name = `fmi2${verb}${kind}`;
    const n = vrs.length;
    const vrMem = this.arena.alloc(4 * n);
    new Uint32Array(vrMem.buffer, vrMem.offset, n).set(vrs);
    const valMem = this.arena.alloc((kind === 'Real' ? 8 : 4) * n);
    const values = kind === 'Real' ? new Float64Array(valMem.buffer, valMem.offset, n) : new Int32Array(valMem.buffer, valMem.offset, n);
    const fn = this.raw[`${name}@addr`] as NativeStatus | undefined;
    const handle = Number(this.handle);
    if (!fn || vrMem.addr === undefined || valMem.addr === undefined || !Number.isSafeInteger(handle)) {
      const slow = verb === 'Get' ? () => this.getNumeric(type, vrs, values) : () => this.setNumeric(type, vrs, values);
      return { values, run: slow };
    }
    const vrAddr = vrMem.addr;
    const valAddr = valMem.addr;
    return {
      values,
      run: () => {
        if (this.c === undefined) throw new GatewayError('INTERNAL', 'FMI 2 instance used after free().');
        const status = fn(handle, vrAddr, n, valAddr);
        if (status !== 0) this.checker.check(name, status);
      },
    };
  }

  getStrings(vrs: Uint32Array): string[] {
    if (this.stringPtrs.length < vrs.length) this.stringPtrs = new BigUint64Array(vrs.length);
    this.checker.check('fmi2GetString', need(this.raw, 'fmi2GetString')(this.handle, vrs, vrs.length, this.stringPtrs));
    const out: string[] = new Array<string>(vrs.length);
    for (let i = 0; i < vrs.length; i++) out[i] = readCString(this.stringPtrs[i] ?? 0n);
    return out;
  }

  setStrings(vrs: Uint32Array, values: readonly string[]): void {
    this.checker.check('fmi2SetString', need(this.raw, 'fmi2SetString')(this.handle, vrs, vrs.length, [...values]));
  }

  getBinary(): Uint8Array[] {
    throw new GatewayError('BAD_REQUEST', 'FMI 2.0 has no Binary variables.');
  }

  setBinary(): void {
    throw new GatewayError('BAD_REQUEST', 'FMI 2.0 has no Binary variables.');
  }

  doStep(currentTime: number, stepSize: number): DoStepResult {
    // doStepAddr is bound only for CS instances with a number-sized handle, and cleared by free().
    const fast = this.doStepAddr;
    let raw: number;
    if (fast !== undefined) raw = fast(this.handleNumber, currentTime, stepSize, 1);
    else if (this.doStepFn) raw = this.doStepFn(this.handle, currentTime, stepSize, 1);
    else throw new GatewayError('BAD_REQUEST', 'doStep needs a Co-Simulation instance.');
    return this.stepResultOf(raw, currentTime, stepSize);
  }

  /** The result of an fmi2DoStep that returned `raw` (also for the native stepper's steps). */
  private stepResultOf(raw: number, currentTime: number, stepSize: number): DoStepResult {
    const r = this.stepResult;
    r.lastSuccessfulTime = currentTime + stepSize;
    r.terminate = false;
    if (raw === 0) {
      r.status = 'OK';
      return r;
    }
    const status = this.checker.check('fmi2DoStep', raw);
    r.status = statusName(status);
    if (status === STATUS_DISCARD) {
      r.terminate = true;
      // Ask where the FMU stopped; FMUs that do not support the query keep t + h... which
      // is wrong for a discarded step, so fall back to the step's start.
      r.lastSuccessfulTime = currentTime;
      const getReal = this.raw.fmi2GetRealStatus;
      if (getReal && getReal(this.handle, FMI2_LAST_SUCCESSFUL_TIME, this.realOut) === 0)
        r.lastSuccessfulTime = this.realOut[0] ?? currentTime;
    }
    return r;
  }

  private chunkContext(): ChunkContext | undefined {
    if (this.c === undefined || this.handleNumber === 0) return undefined;
    const a = symbolAddresses(this.raw);
    return {
      version: 2,
      handle: this.handleNumber,
      arena: this.arena,
      checker: this.checker,
      symbols: {
        doStep: a.fmi2DoStep,
        // FMI 2 Integer, Enumeration and Boolean are C ints (allocBuffer: Int32Array).
        getter: (type) => {
          const name =
            type === 'Float64'
              ? 'fmi2GetReal'
              : type === 'Boolean'
                ? 'fmi2GetBoolean'
                : type === 'Int32' || type === 'Enumeration'
                  ? 'fmi2GetInteger'
                  : '';
          const addr = a[name];
          return addr === undefined ? undefined : { addr, kind: type === 'Float64' ? 3 : 4 };
        },
        derivatives: a.fmi2GetDerivatives,
        setTime: a.fmi2SetTime,
        setStates: a.fmi2SetContinuousStates,
        completed: a.fmi2CompletedIntegratorStep,
      },
      live: () => this.c !== undefined,
      notPlainStep: (raw, currentTime, stepSize) => this.stepResultOf(raw, currentTime, stepSize),
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

  /** After a Discard, whether the FMU asked to end the simulation (fmi2Terminated). */
  terminatedByFmu(): boolean {
    const getBool = this.raw.fmi2GetBooleanStatus;
    return !!getBool && getBool(this.handle, FMI2_TERMINATED, this.intOut) === 0 && this.intOut[0] !== 0;
  }

  setTime(time: number): void {
    const me = this.me;
    const status = me !== undefined ? me.setTime(me.handle, time) : need(this.raw, 'fmi2SetTime')(this.handle, time);
    if (status !== 0) this.checker.check('fmi2SetTime', status);
  }
  setContinuousStates(x: Float64Array): void {
    const me = this.me;
    const n = x.length;
    if (me === undefined || n > me.reals.length) {
      this.checker.check('fmi2SetContinuousStates', need(this.raw, 'fmi2SetContinuousStates')(this.handle, x, n));
      return;
    }
    const buf = me.reals;
    for (let i = 0; i < n; i++) buf[i] = x[i] as number;
    const status = me.setStates(me.handle, me.realsAddr, n);
    if (status !== 0) this.checker.check('fmi2SetContinuousStates', status);
  }
  getContinuousStates(out: Float64Array): void {
    this.checker.check('fmi2GetContinuousStates', need(this.raw, 'fmi2GetContinuousStates')(this.handle, out, out.length));
  }
  getDerivatives(out: Float64Array): void {
    // Discard: the FMU could not evaluate the model at this point (e.g. outside its domain) and
    // `out` is meaningless. NaN makes the solvers reject the step and retry a shorter one.
    if (this.getReals('fmi2GetDerivatives', this.me?.getDerivatives, out) === STATUS_DISCARD) out.fill(NaN);
  }
  getEventIndicators(out: Float64Array): void {
    this.getReals('fmi2GetEventIndicators', this.me?.getIndicators, out);
  }
  getNominalsOfContinuousStates(out: Float64Array): void {
    this.checker.check(
      'fmi2GetNominalsOfContinuousStates',
      need(this.raw, 'fmi2GetNominalsOfContinuousStates')(this.handle, out, out.length),
    );
  }
  enterEventMode(): void {
    this.checker.check('fmi2EnterEventMode', need(this.raw, 'fmi2EnterEventMode')(this.handle));
  }

  newDiscreteStates(): EventUpdateResult {
    this.checker.check('fmi2NewDiscreteStates', need(this.raw, 'fmi2NewDiscreteStates')(this.handle, this.eventInfoBytes));
    const i = this.eventInfoInts;
    const r = this.eventResult;
    r.discreteStatesNeedUpdate = i[0] !== 0;
    r.terminateSimulation = i[1] !== 0;
    r.nominalsOfContinuousStatesChanged = i[2] !== 0;
    r.valuesOfContinuousStatesChanged = i[3] !== 0;
    r.nextEventTimeDefined = i[4] !== 0;
    r.nextEventTime = this.eventInfoTime[0] ?? 0;
    return r;
  }

  enterContinuousTimeMode(): void {
    this.checker.check('fmi2EnterContinuousTimeMode', need(this.raw, 'fmi2EnterContinuousTimeMode')(this.handle));
  }

  completedIntegratorStep(noSetFMUStatePriorToCurrentPoint: boolean): StepCompletionResult {
    const me = this.me;
    if (me === undefined) {
      this.checker.check(
        'fmi2CompletedIntegratorStep',
        need(this.raw, 'fmi2CompletedIntegratorStep')(this.handle, noSetFMUStatePriorToCurrentPoint ? 1 : 0, this.intOut, this.intOut2),
      );
      this.completion.enterEventMode = this.intOut[0] !== 0;
      this.completion.terminateSimulation = this.intOut2[0] !== 0;
      return this.completion;
    }
    const status = me.completed(me.handle, noSetFMUStatePriorToCurrentPoint ? 1 : 0, me.flagsAddr, me.flagsAddr + 4);
    if (status !== 0) this.checker.check('fmi2CompletedIntegratorStep', status);
    this.completion.enterEventMode = me.flags[0] !== 0;
    this.completion.terminateSimulation = me.flags[1] !== 0;
    return this.completion;
  }

  terminate(): void {
    this.checker.check('fmi2Terminate', need(this.raw, 'fmi2Terminate')(this.handle));
  }
  reset(): void {
    this.checker.check('fmi2Reset', need(this.raw, 'fmi2Reset')(this.handle));
  }

  free(): void {
    if (this.c !== undefined) {
      const c = this.c;
      this.c = undefined;
      this.doStepAddr = undefined;
      this.me = undefined;
      this.handleNumber = 0;
      need(this.raw, 'fmi2FreeInstance')(c);
    }
    this.release();
  }

  /** Callbacks outlive the instance: released only after fmi2FreeInstance. */
  private release(): void {
    this.logger.unregister();
    this.arena.freeAll();
    if (this.callbacks !== undefined) koffi.free(this.callbacks);
    this.callbacks = undefined;
  }
}
