/**
 * list_library: the built-in models (C sources in library/, built into FMI 2.0 and 3.0 FMUs).
 */
import { z } from 'zod';
import { CausalityCountsSchema, DefaultExperimentOutSchema, flatOutputSchema, OK_STATUS } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import { FmiVersionSchema, InterfaceKindSchema } from './model-description.ts';

export const ListLibraryInputSchema = z.strictObject({
  query: z
    .string()
    .max(200)
    .optional()
    .describe('Words to match against model names, descriptions, tags and variable names (case-insensitive). Omit to list all.'),
  limit: z.number().int().min(1).max(200).optional().describe('Maximum number of models returned (1-200, default 50).'),
});
export type ListLibraryInput = z.infer<typeof ListLibraryInputSchema>;

export const LibraryModelSchema = z.object({
  id: z.string().describe('Use as fmu_id in get_variables / simulate, e.g. "msl:BouncingBall".'),
  name: z.string().describe('Model name.'),
  description: z.string().describe('What the model represents.'),
  tags: z.array(z.string()).describe('Topics (e.g. "mechanics", "hybrid", "control").'),
  equations: z.array(z.string()).describe('The model equations, as plain text.'),
  fmi_versions: z.array(FmiVersionSchema).describe('FMI versions this model is built for (pick with fmi_version).'),
  interfaces: z.array(InterfaceKindSchema).describe('Interfaces available: ME (Model Exchange, our solvers), CS (Co-Simulation).'),
  default_experiment: DefaultExperimentOutSchema,
  counts: CausalityCountsSchema.describe('How many variables of each causality; call get_variables for the list.'),
});
export type LibraryModel = z.infer<typeof LibraryModelSchema>;

export const ListLibrarySuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  models: z.array(LibraryModelSchema).describe('Matching models, best match first. Next: get_variables or simulate with an id.'),
  total: z.number().int().nonnegative().describe('Number of matching models before `limit` was applied.'),
});
export type ListLibrarySuccess = z.infer<typeof ListLibrarySuccessSchema>;

export const ListLibraryOutputSchema = flatOutputSchema(
  [ListLibrarySuccessSchema, ErrorResultSchema],
  'Built-in models matching the query (status "ok"), or an error (status "error").',
);
export type ListLibraryOutput = z.infer<typeof ListLibraryOutputSchema>;
