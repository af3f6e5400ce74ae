/**
 * The REST route groups. Two contracts, one router: the original gateway's paths answer in its
 * shapes at the root (compat/), ours are under /v2/ and, where no path conflicts, at the root too
 * (see surface.ts). A new group is one more file and one more entry here.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { compatRoutes } from './compat/index.ts';
import { creditRoutes } from './credits.ts';
import { fmuRoutes } from './fmus.ts';
import { healthRoutes } from './health.ts';
import { keyRoutes } from './keys.ts';
import { libraryRoutes } from './library.ts';
import { mcpRoutes } from './mcp.ts';
import { paymentRoutes } from './payments.ts';
import { reportRoutes } from './reports.ts';
import { runRoutes } from './runs.ts';
import { simulateRoutes } from './simulate.ts';
import { sweepRoutes } from './sweep.ts';
import { V2_PREFIX, type MountOptions, type Surface } from './surface.ts';
import { systemRoutes } from './systems.ts';

export type RouteGroup = FastifyPluginAsync<RestDeps>;

/** Our groups: each registered at the root and under /v2; each skips what the other surface owns. */
const OURS: readonly FastifyPluginAsync<MountOptions>[] = [
  keyRoutes,
  libraryRoutes,
  fmuRoutes,
  simulateRoutes,
  sweepRoutes,
  systemRoutes,
  runRoutes,
  reportRoutes,
  paymentRoutes,
  creditRoutes,
] as FastifyPluginAsync<MountOptions>[];

function mounted(surface: Surface): RouteGroup {
  return async (app, deps) => {
    for (const group of OURS) {
      await app.register(group, { ...deps, surface, ...(surface === 'v2' ? { prefix: V2_PREFIX } : {}) });
    }
  };
}

export const ROUTE_GROUPS: readonly RouteGroup[] = [healthRoutes, compatRoutes, mounted('root'), mounted('v2'), mcpRoutes] as RouteGroup[];
