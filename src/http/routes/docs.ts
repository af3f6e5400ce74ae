/**
 * GET /openapi.json, generated from the routes' zod schemas (never written by hand), and GET /docs,
 * the rendered page (Swagger UI). Registered before the route groups so it sees every route.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { ENGINE_VERSION } from '../../version.ts';

export async function registerDocs(app: FastifyInstance, publicBaseUrl: string | undefined): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FMU Gateway',
        description:
          'Find, inspect and run FMI 2.0 / 3.0 simulation models (FMUs). Create a key with POST /keys and send it as ' +
          '"Authorization: Bearer <key>". Errors are { error: { code, message, hint, data } } with a stable code. ' +
          'MCP (Streamable HTTP) is served at /mcp with the same key.',
        version: ENGINE_VERSION.replace(/^fmu-gateway /, ''),
      },
      ...(publicBaseUrl !== undefined && publicBaseUrl !== '' ? { servers: [{ url: publicBaseUrl }] } : {}),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from POST /keys.' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
