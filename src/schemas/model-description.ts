/**
 * The version-neutral model description: what src/fmi/model-description.ts parses
 * modelDescription.xml (FMI 2.0 or 3.0) into, and what get_variables / upload_fmu report.
 */
import { z } from 'zod';

export const FmiVersionSchema = z.enum(['2.0', '3.0']);
export type FmiVersion = z.infer<typeof FmiVersionSchema>;

export const InterfaceKindSchema = z.enum(['ME', 'CS']).describe('ME = Model Exchange, CS = Co-Simulation');
export type InterfaceKind = z.infer<typeof InterfaceKindSchema>;

/** FMI 3 type names; FMI 2 Real→Float64, Integer→Int32, Boolean, String, Enumeration. */
export const VariableTypeSchema = z.enum([
  'Float32',
  'Float64',
  'Int8',
  'UInt8',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Boolean',
  'String',
  'Enumeration',
  'Binary',
  'Clock',
]);
export type VariableType = z.infer<typeof VariableTypeSchema>;

export const CausalitySchema = z.enum([
  'parameter',
  'calculatedParameter',
  'input',
  'output',
  'local',
  'independent',
  'structuralParameter',
]);
export type Causality = z.infer<typeof CausalitySchema>;

export const VariabilitySchema = z.enum(['constant', 'fixed', 'tunable', 'discrete', 'continuous']);
export type Variability = z.infer<typeof VariabilitySchema>;

export const InitialSchema = z.enum(['exact', 'approx', 'calculated']);
export type Initial = z.infer<typeof InitialSchema>;

/** A start value as written in the XML, converted to its JS type (arrays for FMI 3 array variables). */
export const StartValueSchema = z.union([z.number(), z.string(), z.boolean(), z.array(z.union([z.number(), z.string(), z.boolean()]))]);
export type StartValue = z.infer<typeof StartValueSchema>;

export const ModelVariableSchema = z.object({
  name: z.string(),
  value_reference: z.number().int().nonnegative(),
  type: VariableTypeSchema,
  causality: CausalitySchema,
  variability: VariabilitySchema,
  initial: InitialSchema.optional(),
  start: StartValueSchema.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  nominal: z.number().optional(),
  unit: z.string().optional(),
  display_unit: z.string().optional(),
  description: z.string().optional(),
  declared_type: z.string().optional(),
  /** Index (1-based, FMI 2) or value reference (FMI 3) of the state this variable is the derivative of, resolved to its name. */
  derivative_of: z.string().optional(),
  /** FMI 3 array dimensions: fixed sizes, or the name of a structural parameter. */
  dimensions: z.array(z.union([z.number().int(), z.string()])).optional(),
  /** FMI 2 Real: reinit allowed at events; FMI 3 `reinit`. */
  can_handle_multiple_set_per_time_instant: z.boolean().optional(),
});
export type ModelVariable = z.infer<typeof ModelVariableSchema>;

export const CoSimulationCapsSchema = z.object({
  model_identifier: z.string(),
  can_handle_variable_communication_step_size: z.boolean(),
  can_interpolate_inputs: z.boolean(),
  can_get_and_set_fmu_state: z.boolean(),
  can_be_instantiated_only_once_per_process: z.boolean(),
  needs_execution_tool: z.boolean(),
  provides_intermediate_update: z.boolean().optional(),
  has_event_mode: z.boolean().optional(),
});

export const ModelExchangeCapsSchema = z.object({
  model_identifier: z.string(),
  can_get_and_set_fmu_state: z.boolean(),
  can_be_instantiated_only_once_per_process: z.boolean(),
  needs_execution_tool: z.boolean(),
  completed_integrator_step_not_needed: z.boolean(),
  needs_completed_integrator_step: z.boolean().optional(),
});

export const DefaultExperimentSchema = z.object({
  start_time: z.number().optional(),
  stop_time: z.number().optional(),
  tolerance: z.number().optional(),
  step_size: z.number().optional(),
});
export type DefaultExperiment = z.infer<typeof DefaultExperimentSchema>;

export const UnitDefinitionSchema = z.object({
  name: z.string(),
  /** SI base-unit exponents and factor/offset when given. */
  base_unit: z.record(z.string(), z.number()).optional(),
  display_units: z.array(z.object({ name: z.string(), factor: z.number(), offset: z.number() })).optional(),
});

export const TypeDefinitionSchema = z.object({
  name: z.string(),
  type: VariableTypeSchema,
  quantity: z.string().optional(),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  nominal: z.number().optional(),
  /** Enumeration items. */
  items: z.array(z.object({ name: z.string(), value: z.number().int(), description: z.string().optional() })).optional(),
});

export const ModelStructureSchema = z.object({
  /** Names of the variables, in XML order. */
  outputs: z.array(z.string()),
  /** Names of the derivative variables; their order defines the state vector order. */
  continuous_state_derivatives: z.array(z.string()),
  initial_unknowns: z.array(z.string()),
  /** FMI 3: names of event indicator variables; FMI 2: empty (count only). */
  event_indicators: z.array(z.string()),
  /**
   * Per output that declares them (the `dependencies` attribute): the names of the variables it
   * depends on. An output absent here depends on every input (the FMI default); an empty list
   * means it depends on none. Connected systems read it to tell direct feedthrough (algebraic
   * loops) from outputs that depend on states only.
   */
  output_dependencies: z.record(z.string(), z.array(z.string())).optional(),
});

export const ModelDescriptionSchema = z.object({
  fmi_version: FmiVersionSchema,
  model_name: z.string(),
  /** FMI 2 guid or FMI 3 instantiationToken. */
  guid: z.string(),
  description: z.string().optional(),
  author: z.string().optional(),
  version: z.string().optional(),
  generation_tool: z.string().optional(),
  generation_date_and_time: z.string().optional(),
  variable_naming_convention: z.enum(['flat', 'structured']).optional(),
  number_of_event_indicators: z.number().int().nonnegative(),
  number_of_continuous_states: z.number().int().nonnegative(),
  co_simulation: CoSimulationCapsSchema.optional(),
  model_exchange: ModelExchangeCapsSchema.optional(),
  default_experiment: DefaultExperimentSchema.optional(),
  unit_definitions: z.array(UnitDefinitionSchema),
  type_definitions: z.array(TypeDefinitionSchema),
  variables: z.array(ModelVariableSchema),
  model_structure: ModelStructureSchema,
  /** FMI 2 <SourceFiles> of ME/CS (file names relative to sources/). */
  source_files: z.array(z.string()).optional(),
});
export type ModelDescription = z.infer<typeof ModelDescriptionSchema>;
