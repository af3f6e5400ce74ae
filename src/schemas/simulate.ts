/**
 * simulate: the request (with cross-field checks) and the result envelope
 * (completed | payment_required | error), plus sweep.
 */
import { z } from 'zod';
import { FmuIdSchema, LibraryFmiVersionSchema, VariableNameSchema, flatOutputSchema } from './common.ts';
import { ErrorResultSchema, PaymentRequiredSchema } from './errors.ts';
import { FmiVersionSchema, InterfaceKindSchema } from './model-description.ts';

export const KPI_METRICS = [
  'rms',
  'mean',
  'min',
  'max',
  'final',
  'peak_to_peak',
  'integral',
  'overshoot',
  'rise_time',
  'settling_time',
] as const;
export type KpiMetric = (typeof KPI_METRICS)[number];

/** `<variable>_<metric>`; the variable part may itself contain underscores and dots. */
export const KPI_PATTERN = new RegExp(`^(.+)_(${KPI_METRICS.join('|')})$`);

export const DEFAULT_MAX_POINTS = 200;
export const MAX_MAX_POINTS = 5000;
/** Default MAX_OUTPUT_ROWS of config.ts; the service re-checks with the configured value. */
export const DEFAULT_MAX_OUTPUT_ROWS = 1_000_000;

/**
 * Rows recorded on the output grid start + i·step up to stop, plus stop itself when it is off the
 * grid (the engine's rule in src/engine/recorder.ts gridPoints); ME event rows come on top.
 */
export function estimateRows(startTime: number, stopTime: number, step: number): number {
  // The relative slack keeps e.g. (1 - 0) / 0.1 = 9.999999 from losing the last grid row.
  const onGrid = Math.floor((stopTime - startTime) / step + 1e-9) + 1;
  const lastGrid = startTime + (onGrid - 1) * step;
  return stopTime - lastGrid > 1e-9 * step ? onGrid + 1 : onGrid;
}

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

/** The solver a caller may ask for; the engine's SolverName adds the ones it can only refuse. */
export const SolverChoiceSchema = z.enum(['euler', 'rk45', 'bdf', 'auto']);
export type SolverChoice = z.infer<typeof SolverChoiceSchema>;

export const InputSignalSchema = z
  .strictObject({
    name: VariableNameSchema.describe('Name of an input variable (see get_variables with causality "input").'),
    time: z.array(finite()).min(1).describe('Sample times, s, non-decreasing (a repeated time makes a step change).'),
    values: z
      .array(z.union([finite(), z.boolean()], { error: 'each value must be a finite number (or true/false for a Boolean input)' }))
      .min(1)
      .describe('Values at those times, same length as time. Outside [first, last] time the end values are held.'),
    interpolation: z
      .enum(['linear', 'hold'])
      .optional()
      .describe('"linear" between samples (default for real inputs) or "hold" the last sample (default otherwise).'),
  })
  .superRefine((s, ctx) => {
    if (s.time.length !== s.values.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `input signal "${s.name}": time has ${s.time.length} samples but values has ${s.values.length}; they must be equally long`,
      });
    }
    for (let i = 1; i < s.time.length; i++) {
      if ((s.time[i] as number) < (s.time[i - 1] as number)) {
        ctx.addIssue({
          code: 'custom',
          path: ['time', i],
          message: `input signal "${s.name}": time must be non-decreasing, but time[${i}] = ${s.time[i]} < time[${i - 1}] = ${s.time[i - 1]}`,
        });
        break;
      }
    }
  });
export type InputSignal = z.infer<typeof InputSignalSchema>;

const simulateFields = {
  fmu_id: FmuIdSchema,
  fmi_version: LibraryFmiVersionSchema.optional(),
  start_time: finite().optional().describe("Start time, s. Default: the model's default experiment start time, else 0."),
  stop_time: finite()
    .optional()
    .describe("Stop time, s, greater than start_time. Default: the model's default experiment stop time (error if it has none)."),
  step: z
    .number()
    .positive('step must be > 0 (it is the output interval in seconds)')
    .refine(Number.isFinite, 'step must be finite')
    .optional()
    .describe(
      "Output interval, s: one result row every step (also the co-simulation communication step). Default: the model's default experiment step size, else (stop_time - start_time) / 500.",
    ),
  interface: InterfaceKindSchema.optional().describe(
    'Which FMU interface to run: "CS" (the FMU steps itself) or "ME" (our solver integrates it). Default: CS when available, else ME.',
  ),
  solver: SolverChoiceSchema.optional().describe(
    'ME only: "rk45" (adaptive, non-stiff), "bdf" (stiff), "euler" (fixed step), "auto" (default: the engine picks).',
  ),
  tolerance: z
    .number()
    .positive()
    .max(0.1)
    .optional()
    .describe("Relative tolerance of the ME solver (and passed to the FMU). Default: the model's default experiment tolerance, else 1e-4."),
  start_values: z
    .record(
      VariableNameSchema,
      z.union([finite(), z.boolean(), z.string()], {
        error: 'a start value must be a number, true/false (Boolean) or a string (String variables, enumeration items)',
      }),
    )
    .optional()
    .describe('Values set before initialization, by variable name, e.g. {"e": 0.7}: parameters, inputs or states (see get_variables).'),
  input_signals: z
    .array(InputSignalSchema)
    .max(1000)
    .optional()
    .describe('Time-varying inputs: for each input variable, sample times and values.'),
  outputs: z
    .array(VariableNameSchema)
    .min(1)
    .max(1000)
    .optional()
    .describe('Variables to record, by name. Default: every variable with causality "output".'),
  kpis: z
    .array(
      z.string().regex(KPI_PATTERN, {
        message: `each KPI must be "<variable>_<metric>" with metric one of ${KPI_METRICS.join(', ')} (e.g. "h_max", "x_settling_time")`,
      }),
    )
    .max(200)
    .optional()
    .describe(
      `Key figures computed on the full-resolution result, as "<variable>_<metric>", metric one of: ${KPI_METRICS.join(', ')}. ` +
        'mean/rms/integral are time-weighted (trapezoidal); overshoot in % of the step from initial to final value; rise_time 10%->90% of that step, s; settling_time: last time outside a ±2% band around the final value, s.',
    ),
  max_points: z
    .number()
    .int()
    .min(2)
    .max(MAX_MAX_POINTS)
    .optional()
    .describe(
      `Maximum points in the inline series (default ${DEFAULT_MAX_POINTS}, at most ${MAX_MAX_POINTS}); extrema, first and last points are kept. The full result is at result_uri.`,
    ),
  plot: z.boolean().optional().describe('Also return a PNG line chart of the outputs against time (default false).'),
  payment_token: z.string().optional().describe('Token from redeem_checkout, when a previous call answered status "payment_required".'),
  payment_method: z.string().optional().describe('Payment method to use when payment is required (e.g. "stripe_checkout").'),
};

/** Cross-field checks that need only the request itself (the service re-checks after defaults). */
function checkTimes(
  v: { start_time?: number | undefined; stop_time?: number | undefined; step?: number | undefined },
  ctx: z.RefinementCtx,
  maxOutputRows: number,
): void {
  const start = v.start_time ?? 0;
  if (v.stop_time !== undefined && v.stop_time <= start) {
    ctx.addIssue({
      code: 'custom',
      path: ['stop_time'],
      message: `stop_time (${v.stop_time}) must be greater than start_time (${start})`,
    });
    return;
  }
  if (v.stop_time !== undefined && v.step !== undefined) {
    const rows = estimateRows(start, v.stop_time, v.step);
    if (rows > maxOutputRows) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `this request would record ${rows} rows ((stop_time - start_time) / step + 1) but the limit is ${maxOutputRows}; use step >= ${(v.stop_time - start) / (maxOutputRows - 1)} or a shorter time span`,
      });
    }
  }
}

/**
 * The request schema with a given row limit (the configured MAX_OUTPUT_ROWS). Strict: a misspelt
 * optional argument ("start_value", "stoptime") is refused by name rather than silently dropped,
 * which would run the model with its defaults and look like a success.
 */
export function createSimulateInputSchema(limits: { maxOutputRows: number } = { maxOutputRows: DEFAULT_MAX_OUTPUT_ROWS }) {
  return z.strictObject(simulateFields).superRefine((v, ctx) => checkTimes(v, ctx, limits.maxOutputRows));
}
export const SimulateInputSchema = createSimulateInputSchema();
export type SimulateInput = z.infer<typeof SimulateInputSchema>;

const nullableNumber = z.number().nullable();

export const OutputSummarySchema = z.object({
  min: nullableNumber.describe('Smallest value (null when no finite value).'),
  max: nullableNumber.describe('Largest value.'),
  mean: nullableNumber.describe('Time-weighted mean (trapezoidal).'),
  final: nullableNumber.describe('Value at the last recorded time.'),
  unit: z.string().optional().describe('Unit of the variable.'),
});
export type OutputSummary = z.infer<typeof OutputSummarySchema>;

export const ProvenanceSchema = z
  .object({
    fmu_id: z.string(),
    fmu_sha256: z.string().describe('sha256 of the .fmu that ran.'),
    model_name: z.string().describe('Model name from modelDescription.xml.'),
    engine_version: z.string().describe('fmu-gateway version that ran the simulation.'),
    fmi_version: FmiVersionSchema.describe('FMI version of the FMU ("2.0" or "3.0").'),
    interface: InterfaceKindSchema,
    solver: z.string().nullable().describe('ME solver actually used; null for CS.'),
    tolerance: z.number().nullable(),
    start_time: z.number(),
    stop_time: z.number(),
    step: z.number(),
    start_values: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
    input_signals: z
      .array(
        z.object({
          name: z.string(),
          samples: z.number().int(),
          t_first: z.number(),
          t_last: z.number(),
          interpolation: z.string(),
        }),
      )
      .describe('Summary of the input signals used (full samples are in the request).'),
    outputs: z.array(z.string()).describe('Recorded variables (columns of result.csv after time).'),
    isolation: z.string().describe('How the FMU code was isolated (e.g. "process+netns", "process", "in-process").'),
    started_at: z.string().describe('ISO 8601 time the run started.'),
    executed_on: z.enum(['local', 'remote']).optional().describe('Where it ran: this gateway or the remote one (FMU_GATEWAY_URL).'),
    remote_url: z.string().optional().describe('The remote gateway that ran it, when executed_on is "remote".'),
  })
  .describe('Everything needed to reproduce the run.');
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const SimulateCompletedSchema = z.object({
  status: z.literal('completed'),
  run_id: z.string().describe('Id of this run; the full result is at result_uri.'),
  rows: z.number().int().nonnegative().describe('Rows in the full result.'),
  summary: z.record(z.string(), OutputSummarySchema).describe('Per recorded numeric output: min, max, mean, final.'),
  kpis: z
    .record(z.string(), nullableNumber)
    .describe('Requested KPIs by name; null when undefined for this signal (e.g. rise_time of a constant).'),
  series: z
    .record(z.string(), z.array(nullableNumber))
    .describe('Downsampled series: "time" (s) and one array per output, all equally long (<= max_points); null where not finite.'),
  result_uri: z.string().describe('MCP resource with the full CSV result: fmu-gateway://runs/<run_id>/result.csv'),
  provenance: ProvenanceSchema,
  stats: z
    .object({
      steps: z.number().int(),
      events: z.number().int(),
      rejected_steps: z.number().int(),
      wall_ms: z.number(),
    })
    .describe('Solver statistics and wall-clock time of the simulation itself.'),
  event_times: z
    .array(z.number())
    .optional()
    .describe('Model Exchange: times (s) of the events handled (state, time, step and input events), in order, at most 1000.'),
  terminated_early: z
    .object({ time: z.number(), reason: z.string() })
    .optional()
    .describe('Present when the FMU stopped before stop_time (e.g. it requested termination).'),
  warnings: z.array(z.string()).describe('Non-fatal problems (FMU warnings, skipped string outputs, ...).'),
});
export type SimulateCompleted = z.infer<typeof SimulateCompletedSchema>;

export const SimulateOutputSchema = flatOutputSchema(
  [SimulateCompletedSchema, PaymentRequiredSchema, ErrorResultSchema],
  'status "completed": summary, KPIs, downsampled series and a link to the full CSV; status "payment_required": pay at checkout_url, redeem_checkout, then call again with payment_token; status "error": see error.code / error.hint.',
);
export type SimulateOutput = z.infer<typeof SimulateOutputSchema>;

/** sweep: the same request plus one or more parameters to vary (full factorial). */
export const SweepInputSchema = z
  .strictObject({
    ...simulateFields,
    parameters: z
      .array(
        z.strictObject({
          name: VariableNameSchema.describe('Parameter to vary (see get_variables, causality "parameter").'),
          values: z
            .array(z.union([finite(), z.boolean()]))
            .min(1)
            .max(1000)
            .describe('Values to try.'),
        }),
      )
      .min(1)
      .max(4)
      .describe('Parameters to vary; every combination is run (full factorial).'),
  })
  .omit({ plot: true })
  .superRefine((v, ctx) => {
    checkTimes(v, ctx, DEFAULT_MAX_OUTPUT_ROWS);
    const runs = v.parameters.reduce((n, p) => n * p.values.length, 1);
    if (runs > 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters'],
        message: `the sweep has ${runs} combinations; at most 1000 are allowed: use fewer values per parameter`,
      });
    }
  });
export type SweepInput = z.infer<typeof SweepInputSchema>;
