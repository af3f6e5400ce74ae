/**
 * simulate: the request (with cross-field checks) and the result envelope
 * (completed | payment_required | error), plus sweep.
 */
import { z } from 'zod';
import { FmuIdSchema, LibraryFmiVersionSchema, VariableNameSchema, flatOutputSchema } from './common.ts';
import { ErrorResultSchema, PaymentRequiredSchema } from './errors.ts';
import { FmiVersionSchema, InterfaceKindSchema } from './model-description.ts';

import { AUTO_BDF_STATES, KPI_METRICS, KPI_PATTERN, type KpiMetric } from './kpi-names.ts';

export { AUTO_BDF_STATES, KPI_METRICS, KPI_PATTERN, type KpiMetric };

export const DEFAULT_MAX_POINTS = 50;
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
export const SolverChoiceSchema = z.enum(['euler', 'rk45', 'bdf', 'cvode', 'auto']);
export type SolverChoice = z.infer<typeof SolverChoiceSchema>;

/** One scalar a caller gives: a number, true/false (Boolean), or a string (String variables, enumeration items, exact 64-bit integers). */
export const ScalarValueSchema = z.union([finite(), z.boolean(), z.string()]);
/**
 * A value a caller gives for one variable: a scalar, or for an FMI 3 array variable a nested
 * array of its shape (row-major: [[a11, a12], [a21, a22]]) or a flat array of all its elements.
 */
function variableValue(what: string) {
  return z.union(
    [ScalarValueSchema, z.array(ScalarValueSchema), z.array(z.array(ScalarValueSchema)), z.array(z.array(z.array(ScalarValueSchema)))],
    {
      error: `${what} must be a number, true/false (Boolean), a string (String variables, enumeration items, Int64/UInt64 beyond 2^53) or, for an array variable, a nested array of its shape`,
    },
  );
}
export const VariableValueSchema = variableValue('a value');
export type VariableValue = z.infer<typeof VariableValueSchema>;

export const InputSignalSchema = z
  .strictObject({
    name: VariableNameSchema.describe('An input variable.'),
    time: z.array(finite()).min(1).describe('s, non-decreasing.'),
    values: z
      .array(variableValue('each input value'))
      .min(1)
      .describe('One per time; end values held outside. Int64 beyond 2^53 as strings; FMI 3 arrays as nested arrays.'),
    interpolation: z.enum(['linear', 'hold']).optional().describe('Default linear for reals, else hold.'),
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
  start_time: finite().optional().describe('s; default from the model, else 0.'),
  stop_time: finite().optional().describe('s; default from the model.'),
  step: z
    .number()
    .positive('step must be > 0 (it is the output interval in seconds)')
    .refine(Number.isFinite, 'step must be finite')
    .optional()
    .describe('Output interval = CS step, s; default from the model, else span/500.'),
  interface: InterfaceKindSchema.optional().describe('Default CS (FMU steps itself); ME: our solver.'),
  solver: SolverChoiceSchema.optional().describe(
    `ME only; auto: bdf from ${AUTO_BDF_STATES} states, else rk45; cvode if installed, else bdf + warning.`,
  ),
  fixed_step: z
    .number()
    .positive('fixed_step must be > 0 (seconds)')
    .refine(Number.isFinite, 'fixed_step must be finite')
    .optional()
    .describe('ME only, s: euler step, rk45/bdf max step; default step.'),
  tolerance: z.number().positive().max(0.1).optional().describe('Relative; default from the model, else 1e-4.'),
  start_values: z
    .record(VariableNameSchema, variableValue('a start value'))
    .optional()
    .describe('Parameters / initial values by name, e.g. {"e": 0.7}; Int64 beyond 2^53 as strings, FMI 3 arrays nested.'),
  input_signals: z.array(InputSignalSchema).max(1000).optional().describe('Inputs over time.'),
  outputs: z.array(VariableNameSchema).min(1).max(1000).optional().describe('Variables to record. Default: all outputs.'),
  kpis: z
    .array(
      z.string().regex(KPI_PATTERN, {
        message: `each KPI must be "<variable>_<metric>" with metric one of ${KPI_METRICS.join(', ')} (e.g. "h_max", "x_settling_time")`,
      }),
    )
    .max(200)
    .optional()
    .describe('"<variable>_<metric>", e.g. "h_max"; on the full result. overshoot in %, rise_time 10-90%, settling_time ±2%.'),
  max_points: z
    .number()
    .int()
    .min(2)
    .max(MAX_MAX_POINTS)
    .optional()
    .describe(`Inline series points (default ${DEFAULT_MAX_POINTS}); extrema kept. More: get_result.`),
  plot: z.boolean().optional().describe('Add a PNG chart.'),
  plot_variables: z.array(VariableNameSchema).min(1).max(32).optional().describe('Default: the numeric outputs.'),
  payment_token: z.string().optional().describe('From redeem_checkout after "payment_required".'),
  payment_method: z.string().optional().describe('e.g. "stripe_checkout".'),
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
        // Too many rows is OUTPUT_LIMIT_EXCEEDED wherever it is found (see input-errors.ts).
        params: { error_code: 'OUTPUT_LIMIT_EXCEEDED', rows, limit: maxOutputRows },
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
  min: nullableNumber,
  max: nullableNumber,
  mean: nullableNumber.describe('Time-weighted.'),
  final: nullableNumber,
  unit: z.string().optional(),
  non_finite: z.number().int().optional().describe('NaN/Inf samples not counted'),
});
export type OutputSummary = z.infer<typeof OutputSummarySchema>;

export const ProvenanceSchema = z
  .object({
    fmu_id: z.string(),
    fmu_sha256: z.string(),
    model_name: z.string(),
    engine_version: z.string(),
    fmi_version: FmiVersionSchema,
    interface: InterfaceKindSchema,
    solver: z.string().nullable(),
    tolerance: z.number().nullable(),
    start_time: z.number(),
    stop_time: z.number(),
    step: z.number(),
    start_values: z.record(z.string(), VariableValueSchema),
    input_signals: z.array(
      z.object({
        name: z.string(),
        samples: z.number().int(),
        t_first: z.number(),
        t_last: z.number(),
        interpolation: z.string(),
      }),
    ),
    outputs: z.array(z.string()),
    isolation: z.string(),
    started_at: z.string(),
    executed_on: z
      .union([z.enum(['local', 'remote']), z.string().regex(/^worker:/)])
      .optional()
      .describe('This gateway, the remote (FMU_GATEWAY_URL), or "worker:<node name>": the worker node of the job queue that ran it.'),
    remote_url: z.string().optional(),
  })
  .describe('What ran, to reproduce it.');
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const SimulateCompletedSchema = z.object({
  status: z.literal('completed'),
  run_id: z.string().describe('For get_result / compare_runs.'),
  rows: z.number().int().nonnegative().describe('in the full result'),
  summary: z.record(z.string(), OutputSummarySchema).describe('Per numeric output.'),
  kpis: z.record(z.string(), nullableNumber).describe('null if undefined'),
  series: z.record(z.string(), z.array(nullableNumber)).describe('"time" + one array per output, 6 digits.'),
  result_uri: z.string().describe('Full CSV resource.'),
  provenance: ProvenanceSchema,
  stats: z
    .object({
      steps: z.number().int(),
      events: z.number().int(),
      rejected_steps: z.number().int(),
      wall_ms: z.number(),
    })
    .describe('Solver statistics.'),
  event_times: z.array(z.number()).optional().describe('ME only'),
  terminated_early: z.object({ time: z.number(), reason: z.string() }).optional(),
  warnings: z.array(z.string()),
});
export type SimulateCompleted = z.infer<typeof SimulateCompletedSchema>;

export const SimulateOutputSchema = flatOutputSchema(
  [SimulateCompletedSchema, PaymentRequiredSchema, ErrorResultSchema],
  'payment_required: follow next_steps.',
);
export type SimulateOutput = z.infer<typeof SimulateOutputSchema>;

/** sweep: the same request plus one or more parameters to vary (full factorial). */
export const SweepInputSchema = z
  .strictObject({
    ...simulateFields,
    parameters: z
      .array(
        z.strictObject({
          name: VariableNameSchema,
          values: z
            .array(z.union([finite(), z.boolean()]))
            .min(1)
            .max(1000),
        }),
      )
      .min(1)
      .max(4)
      .describe('Every combination is run (full factorial).'),
  })
  // A sweep answers with a table of runs, not an inline series.
  .omit({ max_points: true })
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

export const SweepRunSchema = z.object({
  index: z.number().int(),
  run_id: z.string().optional().describe('Stored run: get_result / compare_runs.'),
  start_values: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).describe('The swept values.'),
  status: z.enum(['completed', 'failed']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  summary: z.record(z.string(), OutputSummarySchema).optional(),
  kpis: z.record(z.string(), nullableNumber).optional(),
});
export type SweepRunOutput = z.infer<typeof SweepRunSchema>;

export const SweepSuccessSchema = z.object({
  status: z.literal('ok'),
  total: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  wall_ms: z.number(),
  parameters: z.array(z.string()).describe('Swept names (table columns).'),
  sweep_id: z.string().optional().describe('The stored sweep: report {id: sweep_id}.'),
  runs: z.array(SweepRunSchema),
  warnings: z.array(z.string()),
});
export type SweepSuccess = z.infer<typeof SweepSuccessSchema>;

export const SweepOutputSchema = flatOutputSchema(
  [SweepSuccessSchema, PaymentRequiredSchema, ErrorResultSchema],
  'One row per run: swept values, summary, KPIs, run_id.',
);
