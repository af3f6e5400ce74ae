/** GET /health: liveness and what this gateway is (no key needed). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HealthSchema } from '../../schemas/rest.ts';
import { cachedRemoteStatus } from '../../service/remote-status.ts';
import { ENGINE_VERSION } from '../../version.ts';
import type { RestDeps } from '../deps.ts';

export const healthRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: { summary: 'Liveness and configuration', tags: ['meta'], response: { 200: HealthSchema } },
    },
    async () => ({
      status: 'ok' as const,
      version: ENGINE_VERSION,
      mode: deps.ctx.config.mode,
      store: deps.accounts.backend,
      isolation: { ...deps.ctx.runner.isolation },
      remote: await cachedRemoteStatus(deps.ctx),
      // Scale-out: queue counts, worker nodes alive, blob store reachability (absent in-process).
      ...(deps.ctx.scale !== undefined ? { scale: await deps.ctx.scale.status() } : {}),
    }),
  );
};
