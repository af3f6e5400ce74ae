/**
 * The REST route groups, one file each. A new group (e.g. payments: /pay, /payments/checkout/{id},
 * /webhooks/stripe) is one more file and one more entry here.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { fmuRoutes } from './fmus.ts';
import { healthRoutes } from './health.ts';
import { keyRoutes } from './keys.ts';
import { libraryRoutes } from './library.ts';
import { mcpRoutes } from './mcp.ts';
import { paymentRoutes } from './payments.ts';
import { runRoutes } from './runs.ts';
import { simulateRoutes } from './simulate.ts';
import { systemRoutes } from './systems.ts';

export type RouteGroup = FastifyPluginAsync<RestDeps>;

export const ROUTE_GROUPS: readonly RouteGroup[] = [
  healthRoutes,
  keyRoutes,
  libraryRoutes,
  fmuRoutes,
  simulateRoutes,
  systemRoutes,
  runRoutes,
  paymentRoutes,
  mcpRoutes,
] as RouteGroup[];
