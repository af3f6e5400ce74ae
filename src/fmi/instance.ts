/**
 * The version-neutral contract between the engine and the FMI 2 / FMI 3 bindings.
 * fmi2.ts and fmi3.ts implement it on top of their raw C-named calls; the engine
 * (co-simulation, model exchange) only ever sees this interface.
 *
 * Hot-path rules: every method that runs per step takes preallocated typed arrays
 * and returns either nothing or a reused result object; nothing here allocates per call.
 * Every native call goes through the binding's checker: Error / Fatal throw
 * GatewayError('FMI_CALL_FAILED', ...) naming the function, status and last log lines.
 */
import type { InterfaceKind, ModelDescription, VariableType } from '../schemas/model-description.ts';

export type FmiStatusName = 'OK' | 'Warning' | 'Discard' | 'Error' | 'Fatal' | 'Pending';

/** Result of a CS doStep; the same object is reused by every call. */
export interface DoStepResult {
  /** The FMU returned Discard or asked to terminate: the run ends early at lastSuccessfulTime. */
  terminate: boolean;
  status: FmiStatusName;
  /** Time reached (FMI 3 lastSuccessfulTime on early return, else t + h). */
  lastSuccessfulTime: number;
  /** FMI 3 CS with event mode only. */
  eventHandlingNeeded: boolean;
  earlyReturn: boolean;
}

/** Result of newDiscreteStates (FMI 2 fmi2EventInfo / FMI 3 out-arguments); reused. */
export interface EventUpdateResult {
  discreteStatesNeedUpdate: boolean;
  terminateSimulation: boolean;
  nominalsOfContinuousStatesChanged: boolean;
  valuesOfContinuousStatesChanged: boolean;
  nextEventTimeDefined: boolean;
  nextEventTime: number;
}

/** Result of completedIntegratorStep; reused. */
export interface StepCompletionResult {
  enterEventMode: boolean;
  terminateSimulation: boolean;
}

/**
 * Buffer types per FMI variable type. FMI 2 Boolean is a C int (Int32Array);
 * FMI 3 Boolean is a C bool (Uint8Array). Enumeration is Int32 (FMI 2) / Int64 (FMI 3).
 */
export type NumericBuffer =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A prepared get or set of one type group (added for the hot path): `values` views
 * native memory and run() makes one native call with plain addresses, no marshalling.
 * Valid until the instance is freed.
 */
export interface PreparedNumeric {
  readonly values: NumericBuffer;
  run(): void;
}

/**
 * Chunked Co-Simulation stepping in native code (src/fmi/stepper.ts): plain steps (status OK, no
 * termination) of the communication grid, each followed by one get per output group (as doubles),
 * written as rows. run() stops early *at* anything else and says why in `outcome`, so the
 * caller goes on call by call from exactly there. Valid until the instance is freed.
 */
export interface CsChunk {
  /**
   * Rows the last run() wrote, column-major: time in [0, capacity), then each prepared output's
   * values in the next `capacity` slots (copied into the recorder's columns with one memcpy each).
   */
  readonly rows: Float64Array;
  /** Rows one run() writes at most (and the length of each column in `rows`). */
  readonly capacity: number;
  /**
   * The running statistics of the output values (src/engine/column-stats.ts layout, 7 doubles per
   * value), in native memory: run() takes every row it writes into them. The recorder adopts this
   * block before the first run() (StatsAccumulator.adopt) and feeds it for the rows it records itself.
   */
  readonly stats: Float64Array;
  /**
   * After run(): 0 the end index (or capacity) was reached; 1 the doStep of grid step i + written
   * was not plain: `result` holds it, its status checked as doStep() would; 2 the get after grid
   * step i + written was not OK: that step is done, its row not written (record it through the
   * normal get, which reports the status).
   */
  readonly outcome: number;
  readonly result: DoStepResult;
  /** Time after the last step taken (the last row's time, or the step's end for outcome 2). */
  readonly t: number;
  /**
   * Steps from grid time t (index i − 1) towards grid index `end` (exclusive); returns rows written.
   * rowBase: the recording's row count (the first written row's index), lastRowTime: its last row's time.
   */
  run(
    startTime: number,
    stopTime: number,
    interval: number,
    t: number,
    i: number,
    end: number,
    rowBase: number,
    lastRowTime: number,
  ): number;
}

/** Outputs of one type read by one get per row (the recorder's groups), for the native chunks. */
export interface OutputGroup {
  type: VariableType;
  vrs: Uint32Array;
  /** Values behind vrs (FMI 3 arrays contribute every element). */
  nValues: number;
  /** Model Exchange: the group's values are these continuous states (indices into x), taken from the state vector without a call. */
  stateIndex?: Int32Array;
}

/** What a native explicit-Euler chunk records per row: the groups' values (gets, or the states it holds). */
export interface EulerChunkSpec {
  nx: number;
  /** Outputs, in this order (row values in the same order). */
  groups: readonly OutputGroup[];
  nValues: number;
  completedIntegratorStep: boolean;
}

/**
 * Chunked Model Exchange explicit Euler in native code: textbook steps x += h·f(t, x) on the grid
 * t0 + n·h, each followed by setTime, setContinuousStates, completedIntegratorStep and, when the step
 * ends on an output point, a row. The FMU must hold (t, x) when run() starts. It stops before a step
 * that is not a whole grid step strictly before tStop, or that an output point falls inside, and at
 * anything not plain (`outcome`), so the caller goes on call by call from there. A failing call
 * throws as the call-by-call path would.
 */
export interface EulerChunk {
  /** As CsChunk's: column-major rows, their capacity and the running statistics the rows go into. */
  readonly rows: Float64Array;
  readonly capacity: number;
  readonly stats: Float64Array;
  /** The solver state, in native memory: x is read at run() and both are written by it. */
  readonly x: Float64Array;
  readonly xPrev: Float64Array;
  /** After run(): 0 chunk end (maxSteps or capacity); 1 the next step is not plain (nothing done); 2 the derivatives were not OK or not finite (nothing done); 4 completedIntegratorStep asked for an event or termination (`completion`; step taken, no row); 5 the get was not OK (step taken, no row). */
  readonly outcome: number;
  readonly completion: StepCompletionResult;
  /** After run(): time, steps since t0, next output index, steps taken, rows written, start of the last step. */
  readonly t: number;
  readonly n0: number;
  readonly gridIndex: number;
  readonly steps: number;
  readonly written: number;
  readonly tPrev: number;
  run(
    t0: number,
    n0: number,
    h: number,
    t: number,
    tPrev: number,
    tStop: number,
    startTime: number,
    stopTime: number,
    interval: number,
    gridIndex: number,
    points: number,
    maxSteps: number,
    rowBase: number,
    lastRowTime: number,
  ): void;
}

export interface LogRecord {
  instance: string;
  status: FmiStatusName;
  category: string;
  message: string;
}

export interface InstantiateOptions {
  instanceName?: string;
  interface: InterfaceKind;
  loggingOn?: boolean;
  /** Sink for every FMU log message (also kept in a bounded ring inside the binding). */
  onLog?: (record: LogRecord) => void;
}

export interface FmiInstance {
  readonly fmiVersion: '2.0' | '3.0';
  readonly interface: InterfaceKind;
  readonly modelDescription: ModelDescription;
  /** Worst status seen so far (Warning is kept, Discard ends runs, Error/Fatal throw). */
  readonly worstStatus: FmiStatusName;
  /** Last log lines of the FMU (bounded ring), for error messages. */
  lastLogLines(count?: number): string[];

  /** FMI 2: fmi2SetupExperiment + fmi2EnterInitializationMode. FMI 3: fmi3EnterInitializationMode. */
  enterInitializationMode(startTime: number, stopTime: number | undefined, tolerance: number | undefined): void;
  exitInitializationMode(): void;
  /** FMI 3 Configuration Mode, from Instantiated, to set structural parameters; FMI 2 throws. */
  enterConfigurationMode(): void;
  exitConfigurationMode(): void;

  /**
   * Get / set values of one variable type. `type` selects the C function; the buffer must be
   * the matching typed array (see NumericBuffer). Strings use getStrings / setStrings.
   * `nValues` (FMI 3 arrays): the number of values behind `vrs`, each array variable
   * contributing all its elements in row-major order; default vrs.length (scalars). FMI 2 has
   * no arrays and ignores it.
   */
  getNumeric(type: VariableType, vrs: Uint32Array, out: NumericBuffer, nValues?: number): void;
  setNumeric(type: VariableType, vrs: Uint32Array, values: NumericBuffer, nValues?: number): void;
  /** Optional fast path (bindings implement it; test doubles may not): see PreparedNumeric. */
  prepareGet?(type: VariableType, vrs: Uint32Array, nValues?: number): PreparedNumeric;
  prepareSet?(type: VariableType, vrs: Uint32Array, nValues?: number): PreparedNumeric;
  getStrings(vrs: Uint32Array): string[];
  setStrings(vrs: Uint32Array, values: readonly string[]): void;
  /** FMI 3 Binary; FMI 2 throws. */
  getBinary(vrs: Uint32Array): Uint8Array[];
  setBinary(vrs: Uint32Array, values: readonly Uint8Array[]): void;

  /** Co-Simulation. */
  doStep(currentTime: number, stepSize: number): DoStepResult;
  /** Optional native fast path (with the stepper helper): see CsChunk; undefined for output types it does not read. */
  prepareCsChunk?(groups: readonly OutputGroup[]): CsChunk | undefined;
  /** Optional native fast path for explicit Euler (Model Exchange): see EulerChunk. */
  prepareEulerChunk?(spec: EulerChunkSpec): EulerChunk | undefined;

  /** Model Exchange. */
  setTime(time: number): void;
  setContinuousStates(x: Float64Array): void;
  getContinuousStates(out: Float64Array): void;
  getDerivatives(out: Float64Array): void;
  getEventIndicators(out: Float64Array): void;
  getNominalsOfContinuousStates(out: Float64Array): void;
  enterEventMode(): void;
  newDiscreteStates(): EventUpdateResult;
  enterContinuousTimeMode(): void;
  completedIntegratorStep(noSetFMUStatePriorToCurrentPoint: boolean): StepCompletionResult;

  terminate(): void;
  reset(): void;
  /** Frees the instance, then unregisters its callbacks. Idempotent. */
  free(): void;
}

/** A loaded shared library of one FMU (one per process per FMU). */
export interface FmiLibrary {
  readonly modelDescription: ModelDescription;
  instantiate(options: InstantiateOptions): FmiInstance;
  /** Unloads the shared library; all instances must be freed first. */
  unload(): void;
}
