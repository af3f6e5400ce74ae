/**
 * GET /health: what this gateway is, and whether it can serve (no key needed). 200 "ok", or 503
 * "degraded" when the account store does not answer or the data directory is (nearly) full, so a
 * load balancer stops sending traffic here; it turns "ok" again by itself once both recover.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HealthSchema } from '../../schemas/rest.ts';
import { cachedRemoteStatus } from '../../service/remote-status.ts';
import { createHealthMonitor } from '../../service/store-health.ts';
import { ENGINE_VERSION } from '../../version.ts';
import type { RestDeps } from '../deps.ts';

export const healthRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const monitor = createHealthMonitor(deps.accounts, deps.ctx.config.dataDir);
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: { summary: 'Liveness, readiness and configuration', tags: ['meta'], response: { 200: HealthSchema, 503: HealthSchema } },
    },
    async (_req, reply) => {
      const node = await monitor.current();
      return reply.code(node.status === 'ok' ? 200 : 503).send({
        status: node.status,
        checks: node.checks,
        version: ENGINE_VERSION,
        mode: deps.ctx.config.mode,
        store: deps.accounts.backend,
        isolation: { ...deps.ctx.runner.isolation },
        remote: await cachedRemoteStatus(deps.ctx),
      });
    },
  );
};
