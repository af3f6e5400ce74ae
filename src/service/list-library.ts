/** Use case list_library: search the built-in models. */
import type { ListLibraryInput, ListLibrarySuccess, LibraryModel } from '../schemas/library.ts';
import type { CatalogEntryLike, ServiceContext } from './context.ts';

const DEFAULT_LIMIT = 50;

export function countCausalities(variables: readonly { causality: string }[] | undefined): LibraryModel['counts'] {
  const counts = { inputs: 0, outputs: 0, parameters: 0 };
  for (const v of variables ?? []) {
    if (v.causality === 'input') counts.inputs++;
    else if (v.causality === 'output') counts.outputs++;
    else if (v.causality === 'parameter') counts.parameters++;
  }
  return counts;
}

export function toLibraryModel(entry: CatalogEntryLike): LibraryModel {
  const equations = entry.equations === undefined ? [] : typeof entry.equations === 'string' ? [entry.equations] : [...entry.equations];
  return {
    id: `msl:${entry.name}`,
    name: entry.name,
    description: entry.description ?? '',
    tags: [...(entry.tags ?? [])],
    equations,
    fmi_versions: [...entry.fmi_versions],
    interfaces: [...(entry.interfaces ?? [])],
    default_experiment: { ...entry.default_experiment },
    counts: countCausalities(entry.variables),
  };
}

export function listLibrary(ctx: ServiceContext, input: ListLibraryInput): ListLibrarySuccess {
  const query = input.query?.trim() ?? '';
  // Ask for everything that matches so `total` is honest, then cut to the limit.
  const matches = ctx.catalog.list(query === '' ? undefined : query, Number.MAX_SAFE_INTEGER);
  const limit = input.limit ?? DEFAULT_LIMIT;
  return { status: 'ok', models: matches.slice(0, limit).map(toLibraryModel), total: matches.length };
}
