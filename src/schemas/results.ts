/**
 * Reading stored runs: a slice of one run's full result (get_result), and a side-by-side view of
 * several runs (compare_runs).
 */
import { z } from 'zod';
import { OK_STATUS, VariableNameSchema, flatOutputSchema } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import { OutputSummarySchema } from './simulate.ts';

export const MAX_SLICE_ROWS = 5000;
export const DEFAULT_SLICE_ROWS = 500;

export const RunIdSchema = z.string().min(1).max(200).describe('run_id from simulate or sweep (a result_uri is accepted too).');

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

export const GetResultInputSchema = z.strictObject({
  run_id: RunIdSchema,
  columns: z.array(VariableNameSchema).min(1).max(1000).optional().describe('Default: all recorded variables.'),
  start_time: finite().optional().describe('Window start, s (inclusive).'),
  stop_time: finite().optional().describe('Window end, s (inclusive).'),
  stride: z.number().int().min(1).optional().describe('Every stride-th row of the window (decimation). Default 1.'),
  max_rows: z.number().int().min(1).max(MAX_SLICE_ROWS).optional().describe(`Default ${DEFAULT_SLICE_ROWS}; more rows → next_start_time.`),
  format: z
    .enum(['csv', 'json', 'mat', 'parquet', 'arrow'])
    .optional()
    .describe('csv (default): rows as CSV text; json: arrays in structured data; mat/parquet/arrow: a link to the whole run as that file.'),
});
export type GetResultInput = z.infer<typeof GetResultInputSchema>;

export const RunColumnSchema = z.object({ name: z.string(), unit: z.string().optional(), type: z.string().optional() });

export const GetResultSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  run_id: z.string(),
  columns: z.array(RunColumnSchema).describe('Columns returned after time.'),
  total_rows: z.number().int().nonnegative().describe('Rows in the whole run.'),
  returned_rows: z.number().int().nonnegative(),
  stride: z.number().int(),
  first_time: z.number().nullable(),
  last_time: z.number().nullable(),
  next_start_time: z.number().optional().describe('More rows: call again with start_time = this.'),
  data: z
    .record(z.string(), z.array(z.union([z.number(), z.string(), z.null()])))
    .optional()
    .describe('format json: "time" and one array per column; null = NaN/Inf.'),
  resource_uri: z.string().optional().describe('format mat/parquet/arrow: the whole run as that file (resources/read).'),
});
export type GetResultSuccess = z.infer<typeof GetResultSuccessSchema>;

export const GetResultOutputSchema = flatOutputSchema(
  [GetResultSuccessSchema, ErrorResultSchema],
  'A window of a stored run; the CSV rows are in the text block unless format is json.',
);

export const CompareRunsInputSchema = z.strictObject({
  run_ids: z.array(RunIdSchema).min(2).max(20).describe('Runs to compare.'),
  variables: z.array(VariableNameSchema).min(1).max(50).optional().describe('Default: those all runs recorded.'),
  plot: z.boolean().optional().describe('Add a PNG overlay, one panel per variable.'),
});
export type CompareRunsInput = z.infer<typeof CompareRunsInputSchema>;

export const ComparedRunSchema = z.object({
  run_id: z.string(),
  model_name: z.string(),
  start_values: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  summary: z.record(z.string(), OutputSummarySchema),
  kpis: z.record(z.string(), z.number().nullable()),
});

export const CompareRunsSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  variables: z.array(z.string()),
  differing_settings: z.array(z.string()).describe('Settings that differ between the runs.'),
  runs: z.array(ComparedRunSchema),
});
export type CompareRunsSuccess = z.infer<typeof CompareRunsSuccessSchema>;

export const CompareRunsOutputSchema = flatOutputSchema(
  [CompareRunsSuccessSchema, ErrorResultSchema],
  'Summaries of stored runs side by side.',
);
