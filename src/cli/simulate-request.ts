/**
 * The simulation options shared by `simulate` and `run`: their parseArgs table and the
 * translation of parsed values into the simulate request (validated by the one simulate schema).
 */
import type { Config } from '../config.ts';
import { invalidArguments } from '../schemas/input-errors.ts';
import { createSimulateInputSchema, type SimulateInput } from '../schemas/simulate.ts';
import { parseInputCsv, parseNumberOption, parseSetValues } from './args.ts';

// The option table and its usage text live apart (parsing a command line must not load the schemas).
export { SIMULATION_OPTIONS, SIMULATION_OPTIONS_USAGE } from './simulation-options.ts';

export interface SimulationOptionValues {
  stop?: string;
  step?: string;
  'start-time'?: string;
  set?: string[];
  output?: string;
  input?: string;
  interface?: string;
  solver?: string;
  'fixed-step'?: string;
  tolerance?: string;
  'fmi-version'?: string;
  'include-dir'?: string[];
  define?: string[];
  kpi?: string[];
}

/** "a,b,A[1,2]" → ["a", "b", "A[1,2]"]: commas inside an array element's brackets do not split. */
export function splitNames(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let name = '';
  for (const ch of list) {
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(name);
      name = '';
    } else name += ch;
  }
  out.push(name);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** Parsed options → the validated simulate request (BAD_REQUEST naming the bad option otherwise). */
export function simulateRequestFromOptions(
  config: Config,
  fmuId: string,
  values: SimulationOptionValues,
  extra: Record<string, unknown> = {},
  /** Fields beneath the options (run --config): an option given on the command line wins. */
  defaults: Record<string, unknown> = {},
): SimulateInput {
  const fromOptions: Record<string, unknown> = {
    fmu_id: fmuId,
    start_time: parseNumberOption('start-time', values['start-time']),
    stop_time: parseNumberOption('stop', values.stop),
    step: parseNumberOption('step', values.step),
    interface: values.interface?.toUpperCase(),
    solver: values.solver,
    fixed_step: parseNumberOption('fixed-step', values['fixed-step']),
    tolerance: parseNumberOption('tolerance', values.tolerance),
    fmi_version: values['fmi-version'],
    start_values: values.set !== undefined ? parseSetValues(values.set) : undefined,
    input_signals: values.input !== undefined ? parseInputCsv(values.input) : undefined,
    outputs: values.output === undefined ? undefined : splitNames(values.output),
    kpis: values.kpi,
    ...extra,
  };
  const raw: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(fromOptions)) if (v !== undefined) raw[k] = v;
  const schema = createSimulateInputSchema(config.limits);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidArguments('simulate', schema, parsed.error);
  return parsed.data;
}
