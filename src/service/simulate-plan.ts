/**
 * SimulateInput + the model → the engine's SimulationOptions: defaults from the model's default
 * experiment, names checked against the model (cheap, before any worker is busy), the row limit
 * checked before running.
 */
import { GatewayError } from '../errors.ts';
import { parseKpis, type ParsedKpi } from '../engine/kpis.ts';
import type { SimulationOptions } from '../engine/types.ts';
import { requireVariable } from '../engine/variables.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { estimateRows, type SimulateInput } from '../schemas/simulate.ts';

/** Points of the default output grid when neither the request nor the model gives a step. */
export const DEFAULT_GRID_INTERVALS = 500;

export interface SimulationPlan {
  options: Omit<SimulationOptions, 'onProgress' | 'signal'>;
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
  let step = input.step ?? de.step_size ?? span / DEFAULT_GRID_INTERVALS;
  if (input.step === undefined && estimateRows(startTime, stopTime, step) > Math.min(maxOutputRows, 100_000)) {
    // The model's suggested step is a solver hint, often far finer than an agent needs to see.
    step = span / DEFAULT_GRID_INTERVALS;
    warnings.push(`The model's default step would record too many rows; using step = ${step} s. Pass step to choose.`);
  }
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
  for (const name of outputs) requireVariable(md, name, 'outputs');
  const kpis = parseKpis(input.kpis ?? [], md.variables.map((v) => v.name));
  const recorded = [...new Set([...outputs, ...kpis.map((k) => k.variable)])];
  if (recorded.length === 0) warnings.push(`${md.model_name} declares no outputs; pass outputs to record variables.`);

  const options: SimulationPlan['options'] = { startTime, stopTime, outputInterval: step, maxRows: maxOutputRows };
  if (recorded.length > 0) options.outputs = recorded;
  if (input.interface !== undefined) options.interface = input.interface;
  if (input.solver !== undefined && input.solver !== 'auto') options.solver = input.solver;
  const tolerance = input.tolerance ?? de.tolerance;
  if (tolerance !== undefined) options.tolerance = tolerance;
  if (input.start_values !== undefined) options.startValues = input.start_values;
  if (input.input_signals !== undefined) options.inputSignals = input.input_signals;
  return { options, startTime, stopTime, step, recorded, kpis, warnings };
}
