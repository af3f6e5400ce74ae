/**
 * JSON descriptions of a library model and of an uploaded FMU, for MCP resources
 * (fmu-gateway://library/<Name>, fmu-gateway://fmus/<sha256>).
 */
import type { LibraryModel } from '../schemas/library.ts';
import type { GetVariablesSuccess } from '../schemas/variables.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { getVariables } from './get-variables.ts';
import { toLibraryModel } from './list-library.ts';

const ALL = 100_000;

export interface ResourceDescription<T> {
  uri: string;
  mimeType: 'application/json';
  data: T;
}

type Variables = Omit<GetVariablesSuccess, 'status' | 'total'>;

export async function describeLibraryModel(
  ctx: ServiceContext,
  name: string,
): Promise<ResourceDescription<LibraryModel & { variables: Variables['variables']; guid: string }>> {
  const id = `msl:${name}`;
  const { entry } = await resolveFmu(ctx, id);
  const { status: _s, total: _t, ...vars } = await getVariables(ctx, { fmu_id: id, limit: ALL });
  return {
    uri: `fmu-gateway://library/${name}`,
    mimeType: 'application/json',
    data: { ...toLibraryModel(entry ?? { name, fmi_versions: [] }), guid: vars.guid, variables: vars.variables },
  };
}

export async function describeUploadedFmu(
  ctx: ServiceContext,
  sha256: string,
): Promise<ResourceDescription<Variables & { platforms: string[]; has_sources: boolean; warnings: string[] }>> {
  const id = `sha256:${sha256}`;
  const { opened } = await resolveFmu(ctx, id);
  const { status: _s, total: _t, ...vars } = await getVariables(ctx, { fmu_id: id, limit: ALL });
  return {
    uri: `fmu-gateway://fmus/${sha256}`,
    mimeType: 'application/json',
    data: { ...vars, platforms: opened.platforms, has_sources: opened.hasSources, warnings: opened.warnings },
  };
}
