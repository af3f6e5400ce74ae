/**
 * Engineering reports of a stored run or sweep: the request (purpose, variables, limits) shared by
 * REST (`POST /v2/runs/{id}/report`, `POST /v2/sweeps/{id}/report`), MCP (`report`) and the CLI
 * (`fmu-gateway report ID --out DIR`), and the report itself (report.json). report.md and
 * report.png are rendered from the same object by src/report/.
 */
import { z } from 'zod';
import { ErrorResultSchema } from './errors.ts';
import { OK_STATUS, VariableNameSchema, flatOutputSchema } from './common.ts';

/**
 * Figures of one output computed on its full-resolution result (src/report/kpis.ts):
 * final, min, max, time-weighted mean, the first time of the max and of the min, `settle` (the
 * time-weighted mean over the last 10 % of the run: the value it settles to, ripple averaged out),
 * `settling_time` (last exit from ±2 % of the step, s after the start), peak_to_peak, rms.
 */
export const REPORT_KPIS = [
  'final',
  'min',
  'max',
  'mean',
  'time_of_max',
  'time_of_min',
  'settle',
  'settling_time',
  'peak_to_peak',
  'rms',
] as const;
export const ReportKpiSchema = z.enum(REPORT_KPIS);
export type ReportKpi = z.infer<typeof ReportKpiSchema>;

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

export const ReportLimitSchema = z
  .strictObject({
    variable: VariableNameSchema,
    kpi: ReportKpiSchema,
    min: finite().optional(),
    max: finite().optional(),
  })
  .refine((l) => l.min !== undefined || l.max !== undefined, { message: 'a limit needs min, max or both' })
  .refine((l) => l.min === undefined || l.max === undefined || l.min <= l.max, { message: 'min must not exceed max' });
export type ReportLimit = z.infer<typeof ReportLimitSchema>;

/** What a report is asked for, besides the run or sweep it is about. */
export const ReportOptionsSchema = z.strictObject({
  purpose: z.string().max(2000).optional().describe("The study's question, quoted in the brief."),
  title: z.string().max(200).optional(),
  variables: z.array(VariableNameSchema).min(1).max(12).optional().describe('Outputs to report; default: limited ones, then 6.'),
  limits: z
    .array(ReportLimitSchema)
    .max(50)
    .optional()
    .describe('Pass/fail checks, each {variable, kpi, min?, max?}; a sweep passes a limit when every run does.'),
});
export type ReportOptions = z.infer<typeof ReportOptionsSchema>;

/** MCP `report`: the id of a run or a sweep, and the options. */
export const ReportInputSchema = ReportOptionsSchema.extend({
  id: z.string().min(1).max(200).describe('run_id or sweep_id.'),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;

const nullableNumber = z.number().nullable();

export const ReportVariableSchema = z.object({
  name: z.string(),
  unit: z.string().optional(),
  description: z.string().optional(),
  causality: z.string().optional(),
});

export const ReportParameterSchema = z.object({
  name: z.string(),
  unit: z.string().optional(),
  description: z.string().optional(),
  /** The values this report covers: one, or the grid's for a swept parameter. */
  values: z.array(z.union([z.number(), z.boolean(), z.string()])),
  /** swept: varied by the sweep; set: a start value of the request; default: the model's start value. */
  source: z.enum(['swept', 'set', 'default']),
});

export const ReportInputSignalSchema = z.object({
  name: z.string(),
  unit: z.string().optional(),
  samples: z.number().int(),
  t_first: z.number(),
  t_last: z.number(),
  interpolation: z.string(),
});

export const LimitCheckSchema = z.object({
  run_id: z.string(),
  value: nullableNumber,
  /** null: the KPI is undefined for the run (counts as a failure: nothing shows the limit is met). */
  pass: z.boolean(),
});

export const LimitResultSchema = z.object({
  variable: z.string(),
  kpi: ReportKpiSchema,
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  pass: z.boolean(),
  /** The value closest to failing (or furthest past the limit) over the runs, and its run. */
  worst: nullableNumber,
  worst_run_id: z.string().nullable(),
  failing_runs: z.array(z.string()),
  checks: z.array(LimitCheckSchema),
});
export type LimitResult = z.infer<typeof LimitResultSchema>;

export const RunKpisSchema = z.record(z.string(), z.record(z.string(), nullableNumber));

export const ReportRunSchema = z.object({
  run_id: z.string(),
  /** Place in the sweep (0 for a single run). */
  index: z.number().int(),
  status: z.enum(['completed', 'failed']),
  /** The swept values of this run (empty for a single run). */
  parameters: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  rows: z.number().int().optional(),
  /** variable → kpi → value, from the full-resolution result. */
  kpis: RunKpisSchema,
  /** null when no limit applies. */
  pass: z.boolean().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ReportRun = z.infer<typeof ReportRunSchema>;

export const ReportSchema = z.object({
  report_version: z.literal(1),
  kind: z.enum(['run', 'sweep']),
  /** The run_id or sweep_id the report is about. */
  id: z.string(),
  title: z.string(),
  purpose: z.string().optional(),
  generated_at: z.string(),
  model: z.object({
    name: z.string(),
    description: z.string().optional(),
    fmu_id: z.string(),
    fmu_sha256: z.string(),
    fmi_version: z.string(),
    interface: z.string(),
  }),
  setup: z.object({
    start_time: z.number(),
    stop_time: z.number(),
    step: z.number(),
    solver: z.string().nullable(),
    tolerance: z.number().nullable(),
    runs: z.number().int(),
    completed: z.number().int(),
  }),
  parameters: z.array(ReportParameterSchema).describe('Swept, then set, then the model defaults.'),
  inputs: z.array(ReportInputSignalSchema),
  variables: z.array(ReportVariableSchema).describe('The reported outputs.'),
  kpis: z.array(ReportKpiSchema).describe('Figures per variable and run.'),
  runs: z.array(ReportRunSchema),
  limits: z.array(LimitResultSchema),
  verdict: z.enum(['pass', 'fail', 'no_limits']),
  findings: z.array(z.string()),
  chart: z.object({
    file: z.literal('report.png'),
    variables: z.array(z.string()),
    runs: z.array(z.string()).describe('Runs drawn (a sweep draws at most 40).'),
    rows: z.number().int().describe('Stored rows the chart was drawn from (every row of every drawn run).'),
  }),
  provenance: z.object({
    model_name: z.string(),
    fmu_id: z.string(),
    fmu_sha256: z.string(),
    fmi_version: z.string(),
    interface: z.string(),
    solver: z.string().nullable(),
    tolerance: z.number().nullable(),
    engine_version: z.string(),
    gateway_version: z.string(),
    run_ids: z.array(z.string()),
    sweep_id: z.string().optional(),
    started_at: z.string().nullable(),
    generated_at: z.string(),
  }),
});
export type Report = z.infer<typeof ReportSchema>;

/** Where the three files are (REST links, MCP resource URIs, CLI paths). */
export const ReportFilesSchema = z.object({
  json: z.string(),
  markdown: z.string(),
  png: z.string(),
});

export const ReportSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  report_id: z.string(),
  verdict: ReportSchema.shape.verdict,
  files: ReportFilesSchema,
  report: ReportSchema,
});
export type ReportSuccess = z.infer<typeof ReportSuccessSchema>;

export const ReportOutputSchema = flatOutputSchema([ReportSuccessSchema, ErrorResultSchema], 'An engineering report: JSON, brief, chart.');

/** MCP `report`: the brief is the text block and the chart an image; the structured part leaves out the per-run tables. */
export const ReportToolSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  kind: ReportSchema.shape.kind,
  id: z.string(),
  title: z.string(),
  verdict: ReportSchema.shape.verdict,
  variables: ReportSchema.shape.variables,
  limits: z.array(LimitResultSchema.omit({ checks: true })),
  findings: z.array(z.string()),
  chart: ReportSchema.shape.chart,
  provenance: ReportSchema.shape.provenance,
});
export type ReportToolSuccess = z.infer<typeof ReportToolSuccessSchema>;

export const ReportToolOutputSchema = flatOutputSchema(
  [ReportToolSuccessSchema, ErrorResultSchema],
  'Verdict and findings; the brief is the text.',
);
