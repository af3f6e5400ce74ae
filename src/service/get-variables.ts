/** Use case get_variables: the variables of a library or uploaded FMU, filtered. */
import type { ModelDescription, ModelVariable } from '../schemas/model-description.ts';
import type { GetVariablesInput, GetVariablesSuccess, VariableInfo } from '../schemas/variables.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';

const DEFAULT_LIMIT = 500;

export function interfacesOf(md: ModelDescription): ('ME' | 'CS')[] {
  return [...(md.model_exchange ? (['ME'] as const) : []), ...(md.co_simulation ? (['CS'] as const) : [])];
}

export function toVariableInfo(v: ModelVariable): VariableInfo {
  const info: VariableInfo = {
    name: v.name,
    value_reference: v.value_reference,
    type: v.type,
    causality: v.causality,
    variability: v.variability,
  };
  if (v.start !== undefined) info.start = v.start;
  if (v.unit !== undefined) info.unit = v.unit;
  if (v.description !== undefined) info.description = v.description;
  if (v.min !== undefined) info.min = v.min;
  if (v.max !== undefined) info.max = v.max;
  if (v.dimensions !== undefined) info.dimensions = v.dimensions;
  if (v.declared_type !== undefined) info.declared_type = v.declared_type;
  return info;
}

export async function getVariables(ctx: ServiceContext, input: GetVariablesInput): Promise<GetVariablesSuccess> {
  const { opened } = await resolveFmu(ctx, input.fmu_id, input.fmi_version);
  const md = opened.modelDescription;
  const q = input.query?.trim().toLowerCase() ?? '';
  const matching = md.variables.filter(
    (v) =>
      (input.causality === undefined || v.causality === input.causality) &&
      (q === '' || v.name.toLowerCase().includes(q) || (v.description?.toLowerCase().includes(q) ?? false)),
  );
  const out: GetVariablesSuccess = {
    status: 'ok',
    fmu_id: input.fmu_id,
    model_name: md.model_name,
    fmi_version: md.fmi_version,
    guid: md.guid,
    interfaces: interfacesOf(md),
    default_experiment: { ...md.default_experiment },
    variables: matching.slice(0, input.limit ?? DEFAULT_LIMIT).map(toVariableInfo),
    total: matching.length,
  };
  if (md.description !== undefined) out.description = md.description;
  return out;
}
