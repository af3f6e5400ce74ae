/**
 * POST /keys: a new API key (no key needed; rate-limited per client address), and GET /usage.
 * The original gateway answers POST /keys with 200 (its quick-start script keeps a key only on
 * 200), ours with 201 Created: the root answers 200, /v2 answers 201, with the same body.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CreateKeyInputSchema, CreateKeyOutputSchema, UsageListSchema } from '../../schemas/accounts.ts';
import { UsageQuerySchema } from '../../schemas/rest.ts';
import { createApiKey, listUsage } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

export const keyRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const perHour = deps.ctx.config.accounts.keyCreationPerHour;
  const created = deps.surface === 'v2' ? 201 : 200;
  app.post(
    '/keys',
    {
      config: {
        auth: 'public',
        rateLimit: { max: perHour, timeWindow: 3_600_000, keyGenerator: (req: FastifyRequest) => `keys:${req.ip}` },
      },
      schema: {
        operationId: opId(deps.surface, 'createKey'),
        summary: 'Create an API key',
        description:
          `Returns a new key, shown once (only its hash is stored). At most ${perHour} keys per hour per client address. ` +
          (deps.surface === 'v2' ? 'Answers 201 Created.' : 'Answers 200, as the original gateway did (POST /v2/keys answers 201).'),
        tags: ['keys'],
        security: [],
        body: CreateKeyInputSchema.nullish(),
        response: { [created]: CreateKeyOutputSchema, 429: RestErrorSchema },
      },
    },
    async (req, reply) => reply.code(created).send(await createApiKey(deps.accounts, req.body ?? {})),
  );

  app.get(
    '/usage',
    {
      schema: {
        operationId: opId(deps.surface, 'listUsage'),
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
