/**
 * The parseArgs table and usage text of the simulation options shared by `simulate` and `run`,
 * apart from the code that turns them into a request (simulate-request.ts: the zod schemas): a
 * command line can be parsed, and the worker started, before that code is loaded.
 */
export const SIMULATION_OPTIONS = {
  stop: { type: 'string' },
  step: { type: 'string' },
  'start-time': { type: 'string' },
  set: { type: 'string', multiple: true },
  output: { type: 'string' },
  input: { type: 'string' },
  interface: { type: 'string' },
  solver: { type: 'string' },
  'fixed-step': { type: 'string' },
  tolerance: { type: 'string' },
  'fmi-version': { type: 'string' },
  'include-dir': { type: 'string', multiple: true },
  define: { type: 'string', multiple: true },
  kpi: { type: 'string', multiple: true },
} as const;

export const SIMULATION_OPTIONS_USAGE = `  --stop T               stop time, s (default: the model's default experiment)
  --step H               output interval, s (default: the default experiment's, else span / 500)
  --start-time T0        start time, s (default 0 or the default experiment's)
  --set name=value       start value of a parameter, input or state (repeatable); FMI 3 arrays
                         nested, row-major: --set 'A=[[-1,0],[0,-2]]'
  --input in.csv         input signals: header time,<input1>,...; linear for continuous reals, held otherwise;
                         quoted fields; text cells for String inputs; Int64 digits kept exact
  --output a,b           variables to record (default: every output)
  --kpi y_max            key figure <variable>_<metric> (repeatable)
  --interface CS|ME      default CS when the FMU has it
  --solver euler|rk45|bdf|cvode|auto   Model Exchange only (with --interface ME); auto: bdf from 50 states, else rk45
  --fixed-step H         ME: euler's step, the largest step of rk45/bdf (default: the output interval)
  --tolerance R          relative tolerance
  --fmi-version 2.0|3.0  library models: which build (default 3.0)
  --include-dir DIR      sources-only FMUs: a folder of sources/ to add to the include path (repeatable)
  --define NAME[=VALUE]  sources-only FMUs: a preprocessor definition for the build (repeatable)
`;
