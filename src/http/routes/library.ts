/** GET /library?query=: the built-in models (visible to every key). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ListLibrarySuccessSchema } from '../../schemas/library.ts';
import { LibraryQuerySchema } from '../../schemas/rest.ts';
import { listLibrary } from '../../service/index.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema } from '../error-status.ts';

export const libraryRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  app.get(
    '/library',
    {
      schema: {
        summary: 'Search the built-in model library',
        tags: ['library'],
        querystring: LibraryQuerySchema,
        response: { 200: ListLibrarySuccessSchema, 401: RestErrorSchema },
      },
    },
    async (req) => listLibrary(deps.ctx, req.query),
  );
};
