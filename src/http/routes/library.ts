/** GET /v2/library?query=: the built-in models (visible to every key). The root /library is the original's list (compat/library.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ListLibrarySuccessSchema } from '../../schemas/library.ts';
import { LibraryQuerySchema } from '../../schemas/rest.ts';
import { listLibrary } from '../../service/index.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

export const libraryRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  if (deps.surface !== 'v2') return;
  app.get(
    '/library',
    {
      schema: {
        operationId: opId(deps.surface, 'listLibrary'),
        summary: 'Search the built-in model library',
        tags: ['library'],
        querystring: LibraryQuerySchema,
        response: { 200: ListLibrarySuccessSchema, 401: RestErrorSchema },
      },
    },
    async (req) => listLibrary(deps.ctx, req.query),
  );
};
