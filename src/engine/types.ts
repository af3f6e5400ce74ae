/**
 * What the engine takes and gives: an FMU and options in, a columnar result out.
 * No I/O, no money, no JSON-RPC here.
 */
import type { InterfaceKind, VariableType } from '../schemas/model-description.ts';
import type { InputSignal, VariableValue } from '../schemas/simulate.ts';
import type { ResultDigest } from './result-digest.ts';
import type { SystemPlan } from './system-types.ts';

export type { InputSignal };

export type SolverName = 'euler' | 'rk45' | 'bdf' | 'cvode';

export interface SimulationOptions {
  startTime: number;
  stopTime: number;
  /** Output interval (CS communication step unless stepSize is given). */
  outputInterval: number;
  interface?: InterfaceKind;
  solver?: SolverName;
  /** Relative tolerance (default 1e-4). */
  tolerance?: number;
  /** ME: maximum solver step (default: fixedStep, else the output interval). */
  maxStep?: number;
  /** ME: maximum number of solver steps before STEP_LIMIT_EXCEEDED. */
  maxSteps?: number;
  /** ME: euler's fixed step, and the largest step of rk45 / bdf (default: the output interval). */
  fixedStep?: number;
  startValues?: Readonly<Record<string, VariableValue>>;
  inputSignals?: readonly InputSignal[];
  /** Names to record (variables, or FMI 3 array elements "x[2]"); default every causality="output" variable. */
  outputs?: readonly string[];
  /** Upper bound on recorded rows, checked before allocating. */
  maxRows?: number;
  /** Called at most every progressIntervalMs with the fraction of simulated time. */
  onProgress?: (fraction: number, time: number) => void;
  progressIntervalMs?: number;
  /**
   * Receives every FMU log line as it is emitted (the worker streams them to the parent, so the
   * last lines survive a crash of the FMU).
   */
  onLog?: (line: string) => void;
  /** Checked between steps (cheap boolean read), for in-process cancellation. */
  signal?: AbortSignal;
  /**
   * A connected system (src/systems): the job's FMU directory is then the system's bundle (one
   * sub-directory per FMU) and names are "component.variable" (src/systems/run-system.ts).
   */
  system?: SystemPlan;
}

/**
 * One recorded variable (or one element "A[i,j]" of an FMI 3 array variable): numbers
 * (booleans as 0/1, Int64 / UInt64 as the nearest double) or strings.
 */
export interface ResultColumn {
  name: string;
  type: VariableType;
  unit?: string;
  values: Float64Array | string[];
  /** Int64 / UInt64: the exact values (full 64-bit range), beside their nearest doubles in `values`. */
  exact?: BigInt64Array | BigUint64Array;
}

export interface SimulationStats {
  steps: number;
  events: number;
  rejectedSteps: number;
  wallMs: number;
}

export interface SimulationResult {
  fmiVersion: '2.0' | '3.0';
  interface: InterfaceKind;
  /** ME only: the solver actually used (e.g. 'bdf (built-in)'). */
  solver?: string;
  tolerance?: number;
  rows: number;
  time: Float64Array;
  columns: ResultColumn[];
  /** 1 where the row was recorded at an event (before or after it), ME only. */
  eventRows?: Uint8Array;
  terminatedEarly?: { time: number; reason: string };
  stats: SimulationStats;
  warnings: string[];
  log: string[];
  /**
   * The columnar file holding these rows (src/schemas/result-file.ts), when the worker pool was
   * asked to leave them there (RunOptions.rowsInFile): then time, the column values and eventRows
   * are empty here, and the run store adopts the file instead of writing one.
   */
  resultFile?: string;
  /** Summary, KPIs and downsampled series computed by the worker when the job asked (SimulationJob.digest). */
  digest?: ResultDigest;
  /** Set when a worker node of the job queue ran it (src/queue): its name and isolation label, for provenance. */
  executedOn?: { node: string; isolation: string };
}
