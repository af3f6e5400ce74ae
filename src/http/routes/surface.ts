/**
 * Two contracts, one router: the paths of the original FMU Gateway answer in its shapes at the root
 * (routes/compat/), ours are served under /v2/ (and, where no path conflicts, at the root too).
 * A route group of ours is registered once per surface; it skips the routes the other owns.
 */
import type { RestDeps } from '../deps.ts';

export type Surface = 'root' | 'v2';

export interface MountOptions extends RestDeps {
  surface: Surface;
}

export const V2_PREFIX = '/v2';

/** The path prefix of a surface ("" at the root). */
export function prefixOf(surface: Surface): string {
  return surface === 'v2' ? V2_PREFIX : '';
}

/**
 * operationId of a route of ours: unique across the document, where the same route of ours may
 * appear at the root and under /v2 ("getRun", "v2GetRun").
 */
export function opId(surface: Surface, name: string): string {
  return surface === 'v2' ? `v2${name[0]?.toUpperCase() ?? ''}${name.slice(1)}` : name;
}
