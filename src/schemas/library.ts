/**
 * list_library: the built-in models (C sources in library/, built into FMI 2.0 and 3.0 FMUs).
 */
import { z } from 'zod';
import { CausalityCountsSchema, DefaultExperimentOutSchema, flatOutputSchema, OK_STATUS } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import { FmiVersionSchema, InterfaceKindSchema } from './model-description.ts';

export const ListLibraryInputSchema = z.strictObject({
  query: z.string().max(200).optional().describe('Words matched against names, descriptions, tags, variables. Omit for all.'),
  limit: z.number().int().min(1).max(200).optional().describe('Default 50.'),
});
export type ListLibraryInput = z.infer<typeof ListLibraryInputSchema>;

export const LibraryModelSchema = z.object({
  id: z.string().describe('The fmu_id, e.g. "msl:BouncingBall".'),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  equations: z.array(z.string()),
  fmi_versions: z.array(FmiVersionSchema),
  interfaces: z.array(InterfaceKindSchema),
  default_experiment: DefaultExperimentOutSchema,
  counts: CausalityCountsSchema.describe('Variables per causality.'),
});
export type LibraryModel = z.infer<typeof LibraryModelSchema>;

export const ListLibrarySuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  models: z.array(LibraryModelSchema).describe('Best match first.'),
  total: z.number().int().nonnegative().describe('Matches before limit.'),
});
export type ListLibrarySuccess = z.infer<typeof ListLibrarySuccessSchema>;

export const ListLibraryOutputSchema = flatOutputSchema(
  [ListLibrarySuccessSchema, ErrorResultSchema],
  'Built-in models matching the query.',
);
export type ListLibraryOutput = z.infer<typeof ListLibraryOutputSchema>;
