/**
 * The original FMU Gateway's REST shapes (keshelto/FMU_Gateway: its SDK, its quick-start script
 * and its tests read them), written from its contract and mapped onto ours. Requests are lenient
 * as its were (unknown fields ignored, null = absent), then validated by our own schemas; answers
 * carry its fields first and ours beside them (additive only).
 */
import { z } from 'zod';
import { OutputSummarySchema, VariableValueSchema } from './simulate.ts';

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

/** {name, t, u} as the original; {name, time, values} (ours) is accepted too. */
export const CompatInputSignalSchema = z
  .looseObject({
    name: z.string().describe('An input variable.'),
    t: nullish(z.array(z.number())).describe('Times, s, non-decreasing.'),
    u: nullish(z.array(VariableValueSchema)).describe('One value per time.'),
  })
  .describe('An input signal: {name, t, u} (or ours: {name, time, values, interpolation}).');

export const COMPAT_PAYMENT_METHODS = ['stripe', 'crypto'] as const;

/** POST /simulate as the original took it; the fields of ours (start_time, interface, solver, ...) are accepted too. */
export const CompatSimulateRequestSchema = z
  .looseObject({
    fmu_id: z.string().describe('"msl:<Name>", an upload\'s bare sha256 hex (the original\'s id) or "sha256:<hex>".'),
    stop_time: nullish(z.number()).describe('s; default from the model.'),
    step: nullish(z.number()).describe('Output interval, s; default from the model.'),
    start_values: nullish(z.record(z.string(), VariableValueSchema)),
    input_signals: nullish(z.array(CompatInputSignalSchema)),
    kpis: nullish(z.array(z.string())).describe('"<variable>_<metric>", e.g. "h_rms", "h_max".'),
    payment_token: nullish(z.string()).describe('From GET /payments/checkout/{session_id} once paid.'),
    payment_method: nullish(z.string()).describe('"stripe" (default, a Stripe Checkout) or "crypto" (x402, when X402_PAY_TO is set).'),
    quote_only: nullish(z.boolean()).describe('true: answer 402 with the price (and a checkout when payment is due); nothing runs.'),
    parameters: z.unknown().optional().describe("The original's surrogate-model parameters: only null/absent is accepted here."),
    drive_cycle: z.unknown().optional().describe("The original's surrogate-model drive cycle: only null/absent is accepted here."),
  })
  .describe("The original gateway's simulate request. Unknown fields are ignored and null means absent, as there.");
export type CompatSimulateRequest = z.infer<typeof CompatSimulateRequestSchema>;

export const CompatUploadSchema = z
  .looseObject({
    id: z.string().describe('The bare sha256 hex of the bytes: use it as fmu_id (or "sha256:<hex>").'),
    sha256: z.string(),
    model_name: z.string(),
    fmi_version: z.string(),
    guid: z.string(),
    fmu_id: z.string().describe('Ours: "sha256:<hex>".'),
  })
  .describe("The stored FMU: the original's fields, then ours (see POST /v2/fmus).");

export const CompatByHashSchema = z.object({
  fmu_id: z.string().describe('The bare sha256 hex, as the original answered.'),
  id: z.string().describe('The same id again, under the name POST /fmus uses.'),
  sha256: z.string(),
  model_name: z.string(),
  fmi_version: z.string(),
  guid: z.string(),
  size_bytes: z.number().int().nonnegative(),
});

export const CompatVariableSchema = z.looseObject({
  name: z.string(),
  causality: z.string(),
  variability: z.string(),
  declaredType: z.string().nullable().describe('The name of its declared type (TypeDefinitions), or null.'),
});
export const CompatVariablesSchema = z
  .array(CompatVariableSchema)
  .describe('Every model variable (ours add value_reference, type, start, unit...).');

export const CompatLibraryItemSchema = z.object({
  id: z.string().describe('The model name, as the original listed it; simulate it as "msl:<id>".'),
  model_name: z.string(),
  fmi_version: z.string().describe('The version simulate uses by default.'),
  guid: z.string().nullable(),
  description: z.string().nullable(),
  kind: z.string().describe('Interfaces: "ME", "CS" or "ME+CS".'),
  sha256: z.string().nullable().describe('Of the built .fmu of fmi_version.'),
  size: z.number().int().nullable().describe('Bytes of that .fmu.'),
  fmu_id: z.string().describe('Ours: "msl:<Name>".'),
  fmi_versions: z.array(z.string()),
});
export const CompatLibrarySchema = z
  .array(CompatLibraryItemSchema)
  .describe("The built-in models (a list, as the original's GET /library).");

const KeyResultValue = z.union([z.number(), z.string()]).nullable();

export const CompatSimulationResultSchema = z.object({
  run_id: z.string(),
  status: z.literal('ok'),
  key_results: z
    .record(z.string(), KeyResultValue)
    .describe('final_time, final_<variable> per output, and each requested KPI (null when undefined for the data).'),
  provenance: z.record(z.string(), z.string()).describe("fmi_version, guid, sha256 (the original's), then ours as strings."),
  artifacts: z.array(z.string()).describe('Paths of the full result (CSV).'),
  summary_url: z.string().describe('GET it for the run with its history.'),
  // Ours, additively.
  result_url: z.string(),
  rows: z.number().int().nonnegative(),
  kpis: z.record(z.string(), z.number().nullable()),
  summary: z.record(z.string(), OutputSummarySchema),
});
export type CompatSimulationResult = z.infer<typeof CompatSimulationResultSchema>;

export const CompatSimulationSummarySchema = CompatSimulationResultSchema.extend({
  history: z
    .record(z.string(), z.array(z.union([z.number(), z.string()]).nullable()))
    .describe('"time" and one array per recorded variable: the full result (strided when longer than history_stride says).'),
  history_stride: z.number().int().positive().describe('1: every row; n: every n-th row (the full CSV is at result_url).'),
});

export const CompatPaymentSchema = z
  .looseObject({
    status: z.enum(['payment_required', 'quote_only']),
    amount: z.number(),
    currency: z.string(),
    methods: z.array(z.string()).describe('"stripe_checkout", and "crypto" when x402 is offered (X402_PAY_TO).'),
    description: z.string(),
    next_step: z.string(),
    checkout_url: z.string().nullable(),
    session_id: z.string().nullable(),
    error: z.string().nullable().describe('"complete_checkout", "invalid_or_expired_payment_token", or null.'),
    payment_required: z.boolean().describe('Ours: false when the quoted run is free.'),
    expires_at: z.string().optional(),
    next_steps: z.array(z.string()).optional(),
    checkout_unavailable: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .describe("402: the original's payment body; with crypto, the x402 requirements (x402Version, resource, accepts) beside it.");
export type CompatPayment = z.infer<typeof CompatPaymentSchema>;

export const CompatPayRequestSchema = z.looseObject({
  fmu_id: nullish(z.string()),
  success_url: nullish(z.string()).describe("Ignored: the gateway's own pages are used (no caller-chosen redirects)."),
  cancel_url: nullish(z.string()).describe('Ignored, as success_url.'),
});

export const CompatTokenSchema = z.object({
  session_id: z.string(),
  payment_token: z.string(),
  expires_at: z.string(),
  fmu_id: z.string().optional(),
});

export const CompatSweepParameterSchema = z.object({
  path: z.string().describe('"start_values.<name>" (or the bare name).'),
  values: z.array(z.number()).min(1),
});
export const CompatXYPlotSchema = z.object({
  chart_type: z.string().default('xy_plot'),
  chart_title: z.string(),
  x_axis_param: z.string().describe('e.g. "start_values.k"'),
  y_axis_kpi: z.string().describe('e.g. "kpis.x_max"'),
});
export const CompatSweepRequestSchema = z.looseObject({
  base_request: CompatSimulateRequestSchema,
  sweep_parameters: z.array(CompatSweepParameterSchema).min(1).max(4),
  post_processing: nullish(z.array(CompatXYPlotSchema)),
});
export type CompatSweepRequest = z.infer<typeof CompatSweepRequestSchema>;

export const CompatSweepAcceptedSchema = z.object({
  sweep_id: z.string(),
  status: z.literal('ACCEPTED'),
  results_url: z.string(),
  total_runs: z.number().int(),
});

export const CompatSweepRunSchema = z.object({
  parameters: z.record(z.string(), z.number()),
  kpis: z.record(z.string(), z.number().nullable()),
  run_id: z.string().nullable(),
  status: z.enum(['completed', 'failed']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export const CompatChartSchema = z.object({ chart_title: z.string(), image_base64: z.string().describe('"data:image/png;base64,..."') });

export const CompatSweepResultsSchema = z.object({
  sweep_id: z.string(),
  status: z.enum(['RUNNING', 'COMPLETED', 'FAILED']),
  progress: z.string().optional(),
  completed_runs: z.number().int(),
  total_runs: z.number().int(),
  started_at: z.number().describe('Unix seconds.'),
  completed_at: z.number().optional(),
  error: z.string().optional(),
  results: z.array(CompatSweepRunSchema).optional(),
  charts: z.array(CompatChartSchema).optional(),
});
export type CompatSweepResults = z.infer<typeof CompatSweepResultsSchema>;

/** Our simulate fields; anything else in an original request is ignored, as the original did. */
const OUR_FIELDS = [
  'fmu_id',
  'fmi_version',
  'start_time',
  'stop_time',
  'step',
  'interface',
  'solver',
  'fixed_step',
  'tolerance',
  'start_values',
  'input_signals',
  'outputs',
  'kpis',
  'plot',
  'plot_variables',
  'payment_token',
  'payment_method',
] as const;

function signalOf(s: Record<string, unknown>): Record<string, unknown> {
  const { t, u, ...rest } = s;
  const out: Record<string, unknown> = { ...rest };
  if (t !== undefined && t !== null && out.time === undefined) out.time = t;
  if (u !== undefined && u !== null && out.values === undefined) out.values = u;
  return out;
}

/**
 * An original request (or the JSON of `run --config`) → our simulate fields, not yet validated:
 * only our fields kept, null = absent, {name, t, u} signals → {name, time, values}, empty lists
 * (the original SDK's "none") dropped. The caller validates with our simulate schema.
 */
export function compatSimulateFields(raw: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const k of OUR_FIELDS) {
    const v = raw[k];
    if (v !== undefined && v !== null) picked[k] = v;
  }
  if (Array.isArray(picked.input_signals)) {
    picked.input_signals = picked.input_signals.map((s: unknown) =>
      typeof s === 'object' && s !== null ? signalOf(s as Record<string, unknown>) : s,
    );
  }
  for (const k of ['kpis', 'input_signals', 'outputs'] as const) if (Array.isArray(picked[k]) && picked[k].length === 0) delete picked[k];
  return picked;
}
