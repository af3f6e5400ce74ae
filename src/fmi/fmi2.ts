/**
 * FMI 2.0 binding, two tiers: `declareFmi2` binds the raw C-named functions of the
 * specification (our own declarations), `Fmi2InstanceImpl` is the friendly wrapper
 * implementing FmiInstance. Every call goes through the instance's StatusChecker.
 */
import type { LibraryHandle } from 'koffi';
import { GatewayError } from '../errors.ts';
import type { InterfaceKind, ModelDescription, VariableType } from '../schemas/model-description.ts';
import { StatusChecker } from './checker.ts';
import type {
  DoStepResult,
  EventUpdateResult,
  FmiInstance,
  FmiStatusName,
  InstantiateOptions,
  NumericBuffer,
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

/** A bound native function; koffi returns number for int results and bigint|null for pointers. */
type Native = (...args: unknown[]) => unknown;
type NativeStatus = (...args: unknown[]) => number;

const COMMON: Record<string, [string, string[]]> = {
  fmi2Instantiate: ['void *', ['const char *', 'int', 'const char *', 'const char *', 'void *', 'int', 'int']],
  fmi2FreeInstance: ['void', ['void *']],
  fmi2SetupExperiment: ['int', ['void *', 'int', 'double', 'double', 'int', 'double']],
  fmi2EnterInitializationMode: ['int', ['void *']],
  fmi2ExitInitializationMode: ['int', ['void *']],
  fmi2Terminate: ['int', ['void *']],
  fmi2Reset: ['int', ['void *']],
  fmi2GetReal: ['int', ['void *', 'const uint32_t *', 'size_t', 'double *']],
  fmi2GetInteger: ['int', ['void *', 'const uint32_t *', 'size_t', 'int *']],
  fmi2GetBoolean: ['int', ['void *', 'const uint32_t *', 'size_t', 'int *']],
  fmi2GetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'void *']],
  fmi2SetReal: ['int', ['void *', 'const uint32_t *', 'size_t', 'const double *']],
  fmi2SetInteger: ['int', ['void *', 'const uint32_t *', 'size_t', 'const int *']],
  fmi2SetBoolean: ['int', ['void *', 'const uint32_t *', 'size_t', 'const int *']],
  fmi2SetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'const char **']],
};
const CS: Record<string, [string, string[]]> = {
  fmi2DoStep: ['int', ['void *', 'double', 'double', 'int']],
};
/** fmi2StatusKind queries after Discard; optional in practice, so a missing one is tolerated. */
const CS_OPTIONAL: Record<string, [string, string[]]> = {
  fmi2GetBooleanStatus: ['int', ['void *', 'int', 'int *']],
  fmi2GetRealStatus: ['int', ['void *', 'int', 'double *']],
};
const ME: Record<string, [string, string[]]> = {
  fmi2EnterEventMode: ['int', ['void *']],
  fmi2NewDiscreteStates: ['int', ['void *', 'void *']],
  fmi2EnterContinuousTimeMode: ['int', ['void *']],
  fmi2CompletedIntegratorStep: ['int', ['void *', 'int', 'int *', 'int *']],
  fmi2SetTime: ['int', ['void *', 'double']],
  fmi2SetContinuousStates: ['int', ['void *', 'const double *', 'size_t']],
  fmi2GetContinuousStates: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetDerivatives: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetEventIndicators: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetNominalsOfContinuousStates: ['int', ['void *', 'double *', 'size_t']],
};
/**
 * The per-step ME calls again with the handle and arrays as plain addresses: only integer
 * and double parameters, so koffi takes its fast call path and marshals nothing.
 */
const ME_ADDR: Record<string, [string, string[]]> = {
  fmi2SetTime: ['int', ['uint64_t', 'double']],
  fmi2SetContinuousStates: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2GetDerivatives: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2GetEventIndicators: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2CompletedIntegratorStep: ['int', ['uint64_t', 'int', 'uint64_t', 'uint64_t']],
};

export type Fmi2Raw = Record<string, Native>;

/** Binds the raw FMI 2 functions an interface needs; a missing one → FMU_LOAD_FAILED naming it. */
export function declareFmi2(lib: LibraryHandle, iface: InterfaceKind, binaryPath: string): Fmi2Raw {
  const raw: Fmi2Raw = {};
  const bind = (table: Record<string, [string, string[]]>, required: boolean): void => {
    for (const [name, [ret, args]] of Object.entries(table)) {
      try {
        raw[name] = lib.func(name, ret, args) as Native;
      } catch (e) {
        if (!required) continue;
        throw new GatewayError(
          'FMU_LOAD_FAILED',
          `The FMU binary ${binaryPath} does not export ${name}, required by FMI 2.0 ${iface === 'CS' ? 'Co-Simulation' : 'Model Exchange'}. Rebuild the FMU so that it exports every FMI 2 function.`,
          { symbol: name, binary: binaryPath, cause: e instanceof Error ? e.message : String(e) },
        );
      }
    }
  };
  bind(COMMON, true);
  // Address variants for PreparedNumeric: handle and arrays as plain numbers.
  for (const t of ['Real', 'Integer', 'Boolean']) {
    for (const verb of ['Get', 'Set'])
      raw[`fmi2${verb}${t}@addr`] = lib.func(`fmi2${verb}${t}`, 'int', ['uint64_t', 'uint64_t', 'size_t', 'uint64_t']) as Native;
  }
  bind(iface === 'CS' ? CS : ME, true);
  if (iface === 'ME') for (const [name, [ret, args]] of Object.entries(ME_ADDR)) raw[`${name}@addr`] = lib.func(name, ret, args) as Native;
  if (iface === 'CS') {
    bind(CS_OPTIONAL, false);
    // The per-step call takes the handle as a plain number: cheaper for koffi than a pointer.
    raw['fmi2DoStep@addr'] = lib.func('fmi2DoStep', 'int', ['uint64_t', 'double', 'double', 'int']) as Native;
  }
  return raw;
}

function need(raw: Fmi2Raw, name: string): NativeStatus {
  const f = raw[name];
  if (!f) throw new GatewayError('FMI_CALL_FAILED', `${name} is not available for this FMU interface.`, { function: name });
  return f as NativeStatus;
}

function noSuchType(type: VariableType): GatewayError {
  return new GatewayError('BAD_REQUEST', `FMI 2.0 has no variables of type ${type} (only Real, Integer, Enumeration, Boolean, String).`);
}

/**
 * Model Exchange per-step calls on koffi's fast path (see ME_ADDR): vectors go through
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

/** fmi2StatusKind values used after a Discard. */
const FMI2_LAST_SUCCESSFUL_TIME = 2;
const FMI2_TERMINATED = 3;

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
  private readonly stepResult: DoStepResult = {
    terminate: false,
    status: 'OK',
    lastSuccessfulTime: 0,
    eventHandlingNeeded: false,
    earlyReturn: false,
  };
  private readonly eventResult: EventUpdateResult = {
    discreteStatesNeedUpdate: false,
    terminateSimulation: false,
    nominalsOfContinuousStatesChanged: false,
    valuesOfContinuousStatesChanged: false,
    nextEventTimeDefined: false,
    nextEventTime: 0,
  };
  private readonly completion: StepCompletionResult = { enterEventMode: false, terminateSimulation: false };

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
      reals: new Float64Array(reals.buffer, 0, capacity),
      realsAddr: reals.addr,
      flags: new Int32Array(flags.buffer, 0, 2),
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
    new Uint32Array(vrMem.buffer, 0, n).set(vrs);
    const valMem = this.arena.alloc((kind === 'Real' ? 8 : 4) * n);
    const values = kind === 'Real' ? new Float64Array(valMem.buffer, 0, n) : new Int32Array(valMem.buffer, 0, n);
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
    const r = this.stepResult;
    // doStepAddr is bound only for CS instances with a number-sized handle, and cleared by free().
    const fast = this.doStepAddr;
    let raw: number;
    if (fast !== undefined) raw = fast(this.handleNumber, currentTime, stepSize, 1);
    else if (this.doStepFn) raw = this.doStepFn(this.handle, currentTime, stepSize, 1);
    else throw new GatewayError('BAD_REQUEST', 'doStep needs a Co-Simulation instance.');
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
