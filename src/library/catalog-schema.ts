/**
 * Shape of build/library/catalog.json as tools/build-library.ts writes it (an array, one entry per
 * built model), checked with zod when read so a stale or hand-edited file fails with a clear
 * message instead of an undefined deep inside a tool. Unknown extra fields are ignored, so the
 * builder may add fields without breaking older readers.
 */
import { z } from 'zod';
import { LIBRARY_ID_PATTERN } from '../schemas/common.ts';
import { DefaultExperimentSchema, FmiVersionSchema, InterfaceKindSchema } from '../schemas/model-description.ts';

const CatalogVariableSchema = z.object({
  name: z.string(),
  value_reference: z.number().int().nonnegative(),
  type: z.string(),
  causality: z.string(),
  variability: z.string(),
  initial: z.string().optional(),
  start: z.union([z.number(), z.string(), z.boolean()]).optional(),
  unit: z.string().optional(),
  description: z.string().optional(),
  derivative_of: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

export const CatalogFileEntrySchema = z.object({
  id: z.string().regex(LIBRARY_ID_PATTERN),
  name: z.string(),
  description: z.string(),
  /** model.json keeps the equations as one text, one equation (group) per line. */
  equations: z.union([z.string(), z.array(z.string())]),
  tags: z.array(z.string()),
  version: z.string().optional(),
  author: z.string().optional(),
  default_experiment: DefaultExperimentSchema,
  units: z.array(z.object({ name: z.string() }).passthrough()).optional(),
  reference: z.object({ kind: z.enum(['closed_form', 'numerical']), text: z.string() }),
  fmi_versions: z.array(FmiVersionSchema).min(1),
  interfaces: z.array(InterfaceKindSchema).min(1),
  /** FMU paths relative to the catalog's folder. */
  fmus: z.object({ '2.0': z.string().optional(), '3.0': z.string().optional() }),
  guids: z.object({ '2.0': z.string().optional(), '3.0': z.string().optional() }).optional(),
  source_sha256: z.string().optional(),
  variables: z.array(CatalogVariableSchema),
});
export type CatalogFileEntry = z.infer<typeof CatalogFileEntrySchema>;
export type CatalogVariable = z.infer<typeof CatalogVariableSchema>;

export const CatalogFileSchema = z.array(CatalogFileEntrySchema);
