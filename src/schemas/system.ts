/**
 * Connected systems of FMUs: the system description (components, connections, start values,
 * system-level inputs and outputs) and the simulate_system request. One schema for MCP, REST,
 * CLI and the SSP importer (which produces a SystemDescription from SystemStructure.ssd).
 */
import { z } from 'zod';
import { flatOutputSchema, FmuIdSchema, LibraryFmiVersionSchema } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import { InterfaceKindSchema } from './model-description.ts';
import { createSimulateInputSchema, DEFAULT_MAX_OUTPUT_ROWS, ScalarValueSchema } from './simulate.ts';

/** A component name: becomes the prefix of its columns ("body.z_s"), so no dots or spaces. */
export const ComponentNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a component name is a letter or _ then up to 63 letters, digits or _')
  .describe('Component name, the prefix of its variables ("body.z_s").');

/** "component.variable": the first dot separates the component; the variable may contain dots. */
// The component part is checked against the components (superRefine below); no regex here keeps
// the JSON Schema in tools/list small (it would be repeated in every place a connector appears).
export const ConnectorRefSchema = z.string().max(300);

export const ComponentSchema = z.union([
  FmuIdSchema,
  z.strictObject({
    fmu_id: FmuIdSchema,
    fmi_version: LibraryFmiVersionSchema.optional(),
    interface: InterfaceKindSchema.optional().describe('Default: the system interface when offered, else the other.'),
  }),
]);
export type ComponentSpec = z.infer<typeof ComponentSchema>;

export const SystemDescriptionSchema = z
  .strictObject({
    name: z.string().max(200).optional(),
    components: z
      .record(ComponentNameSchema, ComponentSchema)
      .refine((c) => Object.keys(c).length >= 1 && Object.keys(c).length <= 64, 'a system has 1 to 64 components')
      .describe('{name: fmu_id} or {name: {fmu_id, interface?}}.'),
    connections: z
      .array(z.tuple([ConnectorRefSchema, ConnectorRefSchema]))
      .max(10_000)
      .default([])
      .describe('[["a.y", "b.u"], …]: output → input.'),
    start_values: z.record(ConnectorRefSchema, ScalarValueSchema).optional().describe('{"b.k": 2}'),
    inputs: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.array(ConnectorRefSchema).min(1).max(64))
      .optional()
      .describe('System inputs: {name: ["a.u", …]}; input_signals may name them.'),
    outputs: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), ConnectorRefSchema)
      .optional()
      .describe('System outputs: {name: "a.y"}; recorded under that name.'),
    default_experiment: z
      .strictObject({ start_time: z.number().optional(), stop_time: z.number().optional(), step_size: z.number().positive().optional() })
      .optional()
      .describe('Run defaults, s (SSP DefaultExperiment).'),
  })
  .superRefine((s, ctx) => {
    const names = new Set(Object.keys(s.components));
    const check = (ref: string, path: (string | number)[]): void => {
      const dot = ref.indexOf('.');
      if (dot <= 0 || dot === ref.length - 1) {
        ctx.addIssue({ code: 'custom', path, message: `"${ref}" is not "component.variable"` });
        return;
      }
      const comp = ref.slice(0, dot);
      if (!names.has(comp))
        ctx.addIssue({ code: 'custom', path, message: `"${ref}" names no component (components: ${[...names].join(', ')})` });
    };
    s.connections.forEach(([a, b], i) => {
      check(a, ['connections', i, 0]);
      check(b, ['connections', i, 1]);
    });
    for (const k of Object.keys(s.start_values ?? {})) check(k, ['start_values', k]);
    for (const [k, targets] of Object.entries(s.inputs ?? {})) targets.forEach((t, i) => check(t, ['inputs', k, i]));
    for (const [k, src] of Object.entries(s.outputs ?? {})) {
      check(src, ['outputs', k]);
      if (names.has(k)) ctx.addIssue({ code: 'custom', path: ['outputs', k], message: `system output "${k}" has a component's name` });
    }
  });
export type SystemDescription = z.infer<typeof SystemDescriptionSchema>;
export type SystemDescriptionInput = z.input<typeof SystemDescriptionSchema>;

export const SYSTEM_ID_PATTERN = /^system:[0-9a-f]{64}$/;
export const SystemIdSchema = z
  .string()
  .regex(SYSTEM_ID_PATTERN, 'system_id is "system:<64 hex>" as returned by upload_system')
  .describe('From upload_system.');

export const MasterAlgorithmSchema = z.enum(['gauss-seidel', 'jacobi']);
export type MasterAlgorithm = z.infer<typeof MasterAlgorithmSchema>;

/**
 * simulate_system: a stored system (system_id) or an inline description, plus the run options of
 * simulate (names of variables are "component.variable").
 */
export function createSimulateSystemInputSchema(limits: { maxOutputRows: number } = { maxOutputRows: DEFAULT_MAX_OUTPUT_ROWS }) {
  const base = createSimulateInputSchema(limits);
  // The run options of simulate, without what names one FMU.
  const fields = base.shape;
  const { fmu_id: _fmu, fmi_version: _fmi, ...runFields } = fields;
  return z
    .strictObject({
      system_id: SystemIdSchema.optional(),
      system: SystemDescriptionSchema.optional(),
      ...runFields,
      master: MasterAlgorithmSchema.optional().describe('CS: gauss-seidel (default; order from the connections) or jacobi.'),
      communication_step: z.number().positive().refine(Number.isFinite).optional().describe('CS macro step, s; default step.'),
    })
    .superRefine((v, ctx) => {
      if ((v.system_id === undefined) === (v.system === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['system_id'], message: 'give exactly one of system_id (from upload_system) and system' });
      }
    });
}
export const SimulateSystemInputSchema = createSimulateSystemInputSchema();
export type SimulateSystemInput = z.infer<typeof SimulateSystemInputSchema>;

export const UploadSystemInputSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('Local .ssp file (stdio / CLI only).'),
    content_base64: z.string().min(1).optional().describe('The .ssp archive, base64.'),
    system: SystemDescriptionSchema.optional(),
  })
  .superRefine((v, ctx) => {
    const n = [v.path, v.content_base64, v.system].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of path, content_base64 and system' });
  });
export type UploadSystemInput = z.infer<typeof UploadSystemInputSchema>;

export const UploadSystemSuccessSchema = z.object({
  status: z.literal('ok'),
  system_id: z.string(),
  name: z.string().optional(),
  components: z.record(z.string(), z.object({ fmu_id: z.string(), model_name: z.string(), interfaces: z.array(InterfaceKindSchema) })),
  connections: z.number().int(),
  warnings: z.array(z.string()),
});
export type UploadSystemSuccess = z.infer<typeof UploadSystemSuccessSchema>;

/** upload_system's MCP output: the success or the error envelope, as one flat object schema. */
export const UploadSystemOutputSchema = flatOutputSchema([UploadSystemSuccessSchema, ErrorResultSchema], 'The stored system.');
