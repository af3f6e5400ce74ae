/** POST /keys: a new API key (no key needed; rate-limited per client address). */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateKeyInputSchema, CreateKeyOutputSchema, UsageListSchema } from '../../schemas/accounts.ts';
import { UsageQuerySchema } from '../../schemas/rest.ts';
import { createApiKey, listUsage } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema } from '../error-status.ts';

export const keyRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const perHour = deps.ctx.config.accounts.keyCreationPerHour;
  app.post(
    '/keys',
    {
      config: {
        auth: 'public',
        rateLimit: { max: perHour, timeWindow: 3_600_000, keyGenerator: (req: FastifyRequest) => `keys:${req.ip}` },
      },
      schema: {
        summary: 'Create an API key',
        description: `Returns a new key, shown once (only its hash is stored). At most ${perHour} keys per hour per client address.`,
        tags: ['keys'],
        body: CreateKeyInputSchema.nullish(),
        response: { 201: CreateKeyOutputSchema, 429: RestErrorSchema },
      },
    },
    async (req, reply) => {
      const out = await createApiKey(deps.accounts, req.body ?? {});
      return reply.code(201).send(out);
    },
  );

  app.get(
    '/usage',
    {
      schema: {
        summary: "The key's usage records",
        description:
          'One record per simulation (completed or failed), newest first, a page at a time (next_cursor), with the totals of every record (all time, or since `since`).',
        tags: ['keys'],
        querystring: UsageQuerySchema,
        response: { 200: UsageListSchema, 401: RestErrorSchema },
      },
    },
    async (req) =>
      listUsage(deps.accounts, callerOf(req), {
        limit: req.query.limit ?? 1000,
        ...(req.query.cursor !== undefined ? { cursor: req.query.cursor } : {}),
        ...(req.query.since !== undefined ? { since: new Date(req.query.since) } : {}),
      }),
  );
};
