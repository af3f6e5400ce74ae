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
  causality: CausalitySchema.optional().describe(
    'Only variables of this causality: "parameter" (settable with start_values), "input" (drive with input_signals), "output" (recorded by default), "local", ... Omit for all.',
  ),
  query: z.string().max(200).optional().describe('Case-insensitive substring matched against variable names and descriptions.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Maximum number of variables returned (default 500); `total` tells how many matched.'),
});
export type GetVariablesInput = z.infer<typeof GetVariablesInputSchema>;

export const VariableInfoSchema = z.object({
  name: z.string().describe('Variable name; use it in start_values, input_signals, outputs and kpis.'),
  value_reference: z.number().int().nonnegative().describe('FMI value reference (a handle inside the FMU).'),
  type: VariableTypeSchema.describe('FMI 3 type name (FMI 2 Real is reported as Float64, Integer as Int32).'),
  causality: CausalitySchema.describe('parameter | calculatedParameter | input | output | local | independent | structuralParameter.'),
  variability: VariabilitySchema.describe('constant | fixed | tunable | discrete | continuous.'),
  start: StartValueSchema.optional().describe('Start value from the model description, if any.'),
  unit: z.string().optional().describe('Unit (e.g. "m", "m/s", "K").'),
  description: z.string().optional().describe('What the variable means.'),
  min: z.number().optional().describe('Smallest allowed value.'),
  max: z.number().optional().describe('Largest allowed value.'),
  dimensions: z
    .array(z.union([z.number().int(), z.string()]))
    .optional()
    .describe(
      'FMI 3 array: its size per dimension (a number, or the structural parameter giving it). Values go in as nested arrays; results as columns "name[i,j]" (1-based).',
    ),
});
export type VariableInfo = z.infer<typeof VariableInfoSchema>;

export const GetVariablesSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  fmu_id: z.string().describe('The id asked for.'),
  model_name: z.string().describe('Model name from modelDescription.xml.'),
  description: z.string().optional().describe("The model's description."),
  fmi_version: FmiVersionSchema.describe('FMI version of the FMU ("2.0" or "3.0").'),
  guid: z.string().describe('FMI 2 GUID / FMI 3 instantiationToken.'),
  interfaces: z.array(InterfaceKindSchema).describe('Interfaces the FMU implements.'),
  default_experiment: DefaultExperimentOutSchema,
  variables: z.array(VariableInfoSchema).describe('Matching variables, in model-description order.'),
  total: z.number().int().nonnegative().describe('Number of matching variables before `limit` was applied.'),
});
export type GetVariablesSuccess = z.infer<typeof GetVariablesSuccessSchema>;

export const GetVariablesOutputSchema = flatOutputSchema(
  [GetVariablesSuccessSchema, ErrorResultSchema],
  'The variables of the FMU (status "ok"), or an error (status "error").',
);
export type GetVariablesOutput = z.infer<typeof GetVariablesOutputSchema>;
