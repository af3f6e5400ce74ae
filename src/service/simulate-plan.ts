/**
 * SimulateInput + the model → the engine's SimulationOptions: defaults from the model's default
 * experiment, names checked against the model (cheap, before any worker is busy), the row limit
 * checked before running.
 */
import { GatewayError } from '../errors.ts';
import { parseKpis, type ParsedKpi } from '../engine/kpis.ts';
import { chooseInterface } from '../engine/interface-choice.ts';
import type { SimulationOptions } from '../engine/types.ts';
import {
  findRecordable,
  findVariable,
  isNumericType,
  requireRecordable,
  requireVariable,
  withStructuralParameters,
} from '../engine/variables.ts';
import type { InterfaceKind, ModelDescription } from '../schemas/model-description.ts';
import { estimateRows, type SimulateInput } from '../schemas/simulate.ts';

/** Most solver steps a fixed_step may ask for (beyond, the run would only end by its time limit). */
export const MAX_FIXED_STEPS = 100_000_000;

/** Points of the default output grid when neither the request nor the model gives a step. */
export const DEFAULT_GRID_INTERVALS = 500;

export interface SimulationPlan {
  options: Omit<SimulationOptions, 'onProgress' | 'signal'> & { interface: InterfaceKind };
  startTime: number;
  stopTime: number;
  step: number;
  /** Variables recorded: the requested (or default) outputs plus those the KPIs need. */
  recorded: string[];
  kpis: ParsedKpi[];
  warnings: string[];
}

function badTime(message: string, hint: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('BAD_REQUEST', message, { ...data, hint });
}

/**
 * The interface to run (the requested one, else CS when offered, else ME), refusing what would
 * otherwise be silently ignored or fail without a hint: an interface the FMU lacks, and a solver
 * with Co-Simulation (the FMU integrates itself there; our solvers drive Model Exchange only).
 */
export function planInterface(md: ModelDescription, input: Pick<SimulateInput, 'interface' | 'solver' | 'fixed_step'>): InterfaceKind {
  const offered: InterfaceKind[] = [...(md.co_simulation ? (['CS'] as const) : []), ...(md.model_exchange ? (['ME'] as const) : [])];
  const requested = input.interface;
  if (requested !== undefined && offered.length > 0 && !offered.includes(requested)) {
    const full = (k: InterfaceKind): string => (k === 'CS' ? 'Co-Simulation (CS)' : 'Model Exchange (ME)');
    throw new GatewayError(
      'BAD_REQUEST',
      `${md.model_name} does not implement ${full(requested)}; it offers only ${offered.map(full).join(' and ')}`,
      {
        interface: requested,
        offered,
        hint: `Omit interface, or pass interface "${offered[0] as InterfaceKind}"${input.solver !== undefined && input.solver !== 'auto' ? ' and drop solver' : ''}.`,
      },
    );
  }
  const iface = chooseInterface(md, requested);
  if (iface === 'CS' && input.fixed_step !== undefined) {
    throw new GatewayError(
      'BAD_REQUEST',
      'fixed_step applies to Model Exchange only, but this run uses Co-Simulation, where the FMU chooses its own internal steps',
      {
        fixed_step: input.fixed_step,
        interface: iface,
        hint: offered.includes('ME')
          ? 'Add interface: "ME" to integrate the model with that step, or omit fixed_step (step sets the communication interval).'
          : `${md.model_name} offers only Co-Simulation: omit fixed_step; step sets the communication interval.`,
      },
    );
  }
  if (iface === 'CS' && input.solver !== undefined && input.solver !== 'auto') {
    throw new GatewayError(
      'BAD_REQUEST',
      `solver "${input.solver}" applies to Model Exchange only, but this run uses Co-Simulation, where the FMU integrates itself`,
      {
        solver: input.solver,
        interface: iface,
        hint: offered.includes('ME')
          ? 'Add interface: "ME" to integrate the model with that solver, or omit solver.'
          : `${md.model_name} offers only Co-Simulation: omit solver.`,
      },
    );
  }
  return iface;
}

/**
 * How far beyond the model's own default experiment a run may reach when the caller gave no step.
 * The work an FMU does grows with the simulated span, not with the rows we record (a CS FMU takes
 * internal steps of its own size; an ME solver its own), so `stop_time: 1e308` with a coarse grid
 * of 500 rows would keep a worker busy until the timeout. With an explicit step the caller has
 * chosen the scale, and the row limit applies.
 */
export const MAX_SPAN_FACTOR_WITHOUT_STEP = 1e6;
/** The span allowed without a step when the model suggests no experiment: 1e9 s (about 32 years). */
export const MAX_SPAN_WITHOUT_STEP_OR_DEFAULT = 1e9;

function checkSpanWithoutStep(md: ModelDescription, startTime: number, stopTime: number): void {
  const de = md.default_experiment ?? {};
  const span = stopTime - startTime;
  const defaultSpan = de.stop_time !== undefined ? de.stop_time - (de.start_time ?? 0) : undefined;
  const limit =
    defaultSpan !== undefined && defaultSpan > 0 ? defaultSpan * MAX_SPAN_FACTOR_WITHOUT_STEP : MAX_SPAN_WITHOUT_STEP_OR_DEFAULT;
  if (Number.isFinite(span) && span <= limit) return;
  throw new GatewayError(
    'BAD_REQUEST',
    `stop_time - start_time = ${span} s is more than ${limit} s` +
      (defaultSpan !== undefined ? ` (${MAX_SPAN_FACTOR_WITHOUT_STEP}× the model's default experiment of ${defaultSpan} s)` : '') +
      ' and no step was given; the run would not finish in time',
    {
      start_time: startTime,
      stop_time: stopTime,
      limit_s: limit,
      hint: 'Choose a shorter stop_time, or pass step explicitly if you really mean this span.',
    },
  );
}

/** A step too small to change the time value at stop_time (double precision) would never advance. */
function checkStepResolvable(startTime: number, stopTime: number, step: number): void {
  const far = Math.max(Math.abs(startTime), Math.abs(stopTime));
  if (Number.isFinite(stopTime - startTime) && far + step > far) return;
  throw new GatewayError('BAD_REQUEST', `step ${step} s is below the resolution of double-precision time at t = ${far} s`, {
    step,
    hint: 'Use a larger step, or times closer to 0.',
  });
}

export function planSimulation(md: ModelDescription, input: SimulateInput, maxOutputRows: number): SimulationPlan {
  const de = md.default_experiment ?? {};
  const warnings: string[] = [];
  const startTime = input.start_time ?? de.start_time ?? 0;
  const stopTime = input.stop_time ?? de.stop_time;
  if (stopTime === undefined) {
    throw badTime(`${md.model_name} has no default stop time, so stop_time is required`, 'Pass stop_time (seconds) in the request.');
  }
  if (!(stopTime > startTime)) {
    throw badTime(`stop_time (${stopTime}) must be greater than start_time (${startTime})`, 'Choose stop_time > start_time.', {
      start_time: startTime,
      stop_time: stopTime,
    });
  }
  const span = stopTime - startTime;
  if (input.step === undefined) checkSpanWithoutStep(md, startTime, stopTime);
  let step = input.step ?? de.step_size ?? span / DEFAULT_GRID_INTERVALS;
  if (input.step === undefined && estimateRows(startTime, stopTime, step) > Math.min(maxOutputRows, 100_000)) {
    // The model's suggested step is a solver hint, often far finer than an agent needs to see.
    step = span / DEFAULT_GRID_INTERVALS;
    warnings.push(`The model's default step would record too many rows; using step = ${step} s. Pass step to choose.`);
  }
  checkStepResolvable(startTime, stopTime, step);
  const rows = estimateRows(startTime, stopTime, step);
  if (rows > maxOutputRows) {
    throw new GatewayError('OUTPUT_LIMIT_EXCEEDED', `This run would record ${rows} rows; the limit is ${maxOutputRows} (MAX_OUTPUT_ROWS)`, {
      rows,
      limit: maxOutputRows,
      min_step: span / (maxOutputRows - 1),
      hint: `Use step >= ${span / (maxOutputRows - 1)} s or a shorter time span.`,
    });
  }

  for (const name of Object.keys(input.start_values ?? {})) requireVariable(md, name, 'start_values');
  for (const s of input.input_signals ?? []) {
    const v = requireVariable(md, s.name, 'input_signals');
    if (v.causality !== 'input') {
      throw new GatewayError('INVALID_INPUT_SIGNAL', `"${s.name}" has causality "${v.causality}"; only inputs can be driven by a signal`, {
        name: s.name,
        hint: 'Call get_variables with causality "input"; set parameters with start_values instead.',
      });
    }
  }
  const outputs = input.outputs ?? md.variables.filter((v) => v.causality === 'output').map((v) => v.name);
  // Array elements as the run sizes them (structural parameters given in start_values count).
  const sized = withStructuralParameters(md, input.start_values);
  for (const name of outputs) requireRecordable(sized, name, 'outputs');
  const kpis = parseKpis(
    input.kpis ?? [],
    md.variables.map((v) => v.name),
    (name) => findRecordable(sized, name) !== undefined, // also an array element, "x[2]_max"
  );
  // Checked here, not after the run: KPIs and plots need numbers, and a String column has none.
  const numeric = (name: string): boolean => {
    const v = findRecordable(sized, name)?.variable;
    return v !== undefined && isNumericType(v.type);
  };
  for (const k of kpis) {
    if (!numeric(k.variable)) {
      throw new GatewayError(
        'BAD_REQUEST',
        `KPI "${k.name}" needs a numeric variable, but "${k.variable}" is of type ${findVariable(md, k.variable)?.type ?? 'unknown'}`,
        {
          kpi: k.name,
          hint: 'Ask KPIs only of numeric variables (Float, Int, Boolean, Enumeration types in get_variables).',
        },
      );
    }
  }
  const plotted = input.plot_variables ?? [];
  for (const name of plotted) {
    requireVariable(md, name, 'plot_variables');
    if (!numeric(name)) {
      throw new GatewayError(
        'BAD_REQUEST',
        `plot_variables: "${name}" is of type ${findVariable(md, name)?.type ?? 'unknown'}, not numeric`,
        {
          variable: name,
          hint: 'Plot numeric variables only (Float, Int, Boolean, Enumeration types in get_variables).',
        },
      );
    }
  }
  if (plotted.length > 0 && input.plot !== true) {
    warnings.push('plot_variables has no effect without plot: true.');
  }
  const recorded = [...new Set([...outputs, ...kpis.map((k) => k.variable), ...plotted])];
  if (recorded.length === 0) warnings.push(`${md.model_name} declares no outputs; pass outputs to record variables.`);
  if (input.plot === true && !recorded.some(numeric)) {
    throw new GatewayError(
      'BAD_REQUEST',
      `plot needs at least one numeric output, but the recorded variables (${recorded.join(', ') || 'none'}) have none`,
      {
        hint: 'Add numeric variables to outputs (see get_variables), or omit plot.',
      },
    );
  }

  const options: SimulationPlan['options'] = {
    startTime,
    stopTime,
    outputInterval: step,
    maxRows: maxOutputRows,
    interface: planInterface(md, input),
  };
  if (recorded.length > 0) options.outputs = recorded;
  if (input.solver !== undefined && input.solver !== 'auto') options.solver = input.solver;
  if (input.fixed_step !== undefined) {
    const steps = span / input.fixed_step;
    if (steps > MAX_FIXED_STEPS) {
      throw new GatewayError(
        'BAD_REQUEST',
        `fixed_step ${input.fixed_step} s would take ${Math.ceil(steps)} solver steps; at most ${MAX_FIXED_STEPS} are allowed`,
        {
          fixed_step: input.fixed_step,
          hint: `Use fixed_step >= ${span / MAX_FIXED_STEPS} s or a shorter time span.`,
        },
      );
    }
    options.fixedStep = input.fixed_step;
  }
  const tolerance = input.tolerance ?? de.tolerance;
  if (tolerance !== undefined) options.tolerance = tolerance;
  // A variable given both ways is ambiguous: which value holds at the start? Refuse, don't guess.
  const both = (input.input_signals ?? []).map((sig) => sig.name).filter((n) => input.start_values?.[n] !== undefined);
  if (both.length > 0) {
    throw new GatewayError(
      'BAD_REQUEST',
      `${both.map((n) => `"${n}"`).join(', ')} ${both.length === 1 ? 'is' : 'are'} given both in start_values and in input_signals`,
      {
        variables: both,
        hint: 'Give each input once: a constant in start_values, or a time series in input_signals (its first value applies at the start).',
      },
    );
  }
  if (input.start_values !== undefined) options.startValues = input.start_values;
  if (input.input_signals !== undefined) options.inputSignals = input.input_signals;
  return { options, startTime, stopTime, step, recorded, kpis, warnings };
}
