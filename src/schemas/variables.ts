/**
 * get_variables: the variables of a library or uploaded FMU, filtered by causality and text.
 */
import { z } from 'zod';
import { DefaultExperimentOutSchema, FmuIdSchema, LibraryFmiVersionSchema, flatOutputSchema, OK_STATUS } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import {
  CausalitySchema,
  FmiVersionSchema,
  InterfaceKindSchema,
  StartValueSchema,
  VariabilitySchema,
  VariableTypeSchema,
} from './model-description.ts';

export const GetVariablesInputSchema = z.strictObject({
  fmu_id: FmuIdSchema,
  fmi_version: LibraryFmiVersionSchema.optional(),
  causality: CausalitySchema.optional().describe('parameter: set by start_values; input: by input_signals.'),
  query: z.string().max(200).optional().describe('Substring of names/descriptions.'),
  limit: z.number().int().min(1).max(10_000).optional().describe('Default 500.'),
});
export type GetVariablesInput = z.infer<typeof GetVariablesInputSchema>;

export const VariableInfoSchema = z.object({
  name: z.string(),
  value_reference: z.number().int().nonnegative(),
  type: VariableTypeSchema.describe('FMI 3 type name (FMI 2 Real = Float64).'),
  causality: CausalitySchema,
  variability: VariabilitySchema,
  start: StartValueSchema.optional(),
  unit: z.string().optional(),
  description: z.string().optional(),
  declared_type: z.string().optional().describe('Its type definition (TypeDefinitions), when declared.'),
  min: z.number().optional(),
  max: z.number().optional(),
  dimensions: z
    .array(z.union([z.number().int(), z.string()]))
    .optional()
    .describe(
      'FMI 3 array: size per dimension (number or structural parameter). Values in as nested arrays; results as columns "name[i,j]".',
    ),
});
export type VariableInfo = z.infer<typeof VariableInfoSchema>;

export const GetVariablesSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  fmu_id: z.string(),
  model_name: z.string(),
  description: z.string().optional(),
  fmi_version: FmiVersionSchema,
  guid: z.string().describe('FMI 2 GUID / FMI 3 instantiationToken.'),
  interfaces: z.array(InterfaceKindSchema),
  default_experiment: DefaultExperimentOutSchema,
  variables: z.array(VariableInfoSchema),
  total: z.number().int().nonnegative().describe('Matches before limit.'),
});
export type GetVariablesSuccess = z.infer<typeof GetVariablesSuccessSchema>;

export const GetVariablesOutputSchema = flatOutputSchema([GetVariablesSuccessSchema, ErrorResultSchema], 'The variables of the FMU.');
export type GetVariablesOutput = z.infer<typeof GetVariablesOutputSchema>;
