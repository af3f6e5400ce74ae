/**
 * GET /health: what this gateway is, and whether it can serve (no key needed). 200 "ok", or 503
 * "degraded" when the account store does not answer or the data directory is (nearly) full, so a
 * load balancer stops sending traffic here; it turns "ok" again by itself once both recover.
 *
 * A balancer probes it many times a second, also while the gateway is overloaded: the answer is
 * built from the last background check and serialized once per check (checked against its schema
 * then), not per probe, so a probe costs the event loop no more than a 404.
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HealthSchema } from '../../schemas/rest.ts';
import { cachedRemoteStatus } from '../../service/remote-status.ts';
import { createHealthMonitor } from '../../service/store-health.ts';
import { ENGINE_VERSION } from '../../version.ts';
import type { RestDeps } from '../deps.ts';

export const healthRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const monitor = createHealthMonitor(deps.accounts, deps.ctx.config.dataDir);
  /** The last answer, valid while the check, the remote status and the isolation report it was made of are the current ones. */
  let cached: { of: readonly unknown[]; status: 200 | 503; json: string } | undefined;
  app.get(
    '/health',
    {
      // Not rate-limited: a load balancer probes from one address many times a minute (600 per
      // address would turn a 10/s prober's checks into 429s), and a probe is a cached answer.
      config: { auth: 'public', rateLimit: false },
      schema: { summary: 'Liveness, readiness and configuration', tags: ['meta'], response: { 200: HealthSchema, 503: HealthSchema } },
    },
    async (_req, reply) => {
      const node = await monitor.current();
      const remote = await cachedRemoteStatus(deps.ctx);
      const isolation = deps.ctx.runner.isolation;
      const status: 200 | 503 = node.status === 'ok' ? 200 : 503;
      const body = {
        status: node.status,
        checks: node.checks,
        version: ENGINE_VERSION,
        mode: deps.ctx.config.mode,
        store: deps.accounts.backend,
        isolation: { ...isolation },
        remote,
      };
      // Scale-out: queue counts, worker nodes alive, blob store reachability (absent in-process),
      // asked on each probe: served through the response schema as before.
      if (deps.ctx.scale !== undefined) return reply.code(status).send({ ...body, scale: await deps.ctx.scale.status() });
      const of = [node, remote, isolation];
      if (cached === undefined || cached.of.some((x, i) => x !== of[i])) {
        cached = { of, status, json: JSON.stringify(HealthSchema.parse(body)) };
      }
      // A string with a JSON content type is sent as it is (the schema was applied above, once):
      // the typed reply only knows the object form, hence the plain FastifyReply.
      return (reply as FastifyReply).code(cached.status).type('application/json; charset=utf-8').send(cached.json);
    },
  );
};
