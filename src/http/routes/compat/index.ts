/**
 * The original FMU Gateway's contract at the root paths (keshelto/FMU_Gateway's SDK, quick-start
 * script and tests read these shapes). Its validation errors are 422, as FastAPI's were; every
 * other error is ours (coded, with `detail` beside `error`), from the parent error handler.
 */
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { GatewayError } from '../../../errors.ts';
import type { RestDeps } from '../../deps.ts';
import { restErrorBody } from '../../error-status.ts';
import { compatFmuRoutes } from './fmus.ts';
import { compatLibraryRoutes } from './library.ts';
import { compatPaymentRoutes } from './payments.ts';
import { CompatValidationError } from './request.ts';
import { compatSimulateRoutes } from './simulate.ts';
import { compatSweepRoutes } from './sweep.ts';

export const compatRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof CompatValidationError) return reply.code(422).send(restErrorBody(err));
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid' }));
      const e = new GatewayError(
        'BAD_REQUEST',
        `Invalid request ${err.validationContext ?? 'input'}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
        {
          issues,
          hint: 'Check the request against GET /openapi.json and send it again.',
        },
      );
      return reply.code(422).send(restErrorBody(e));
    }
    // Everything else: the gateway's one error handler (src/http/server.ts).
    throw err;
  });
  for (const group of [compatLibraryRoutes, compatFmuRoutes, compatSimulateRoutes, compatPaymentRoutes, compatSweepRoutes]) {
    await app.register(group, deps);
  }
};
