/**
 * GET /openapi.json, generated from the routes' zod schemas (never written by hand) and finished
 * by openapi-finish.ts; GET /docs, the reference rendered on the server (docs-page.ts: shows at
 * once, no script); GET /docs/swagger, Swagger UI. Registered before the route groups so it sees
 * every route.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CatalogLike } from '../../service/index.ts';
import { ENGINE_VERSION } from '../../version.ts';
import { RestErrorSchema } from '../error-status.ts';
import { renderDocsPage } from './docs-page.ts';
import { finishDocument, type Examples } from './openapi-finish.ts';

/** Request examples from the built-in library (the e2e suite sends each and expects it to run). */
export function libraryExamples(catalog: CatalogLike): Examples {
  const entry = (id: string) => {
    try {
      return catalog.resolve(id).entry;
    } catch {
      return undefined;
    }
  };
  const ex: Examples = { 'POST /keys': { label: 'my laptop' }, 'POST /v2/keys': { label: 'my laptop' } };
  const ball = entry('msl:BouncingBall');
  const output = ball?.variables?.find((v) => v.causality === 'output')?.name;
  if (ball !== undefined && output !== undefined) {
    const simulate = {
      fmu_id: 'msl:BouncingBall',
      stop_time: ball.default_experiment?.stop_time ?? 3,
      step: ball.default_experiment?.step_size ?? 0.01,
      kpis: [`${output}_max`, `${output}_rms`],
    };
    Object.assign(ex, {
      'POST /v2/simulate': simulate,
      'POST /v2/quote': simulate,
      'POST /quote': simulate,
      'POST /simulate': { ...simulate, start_values: {}, input_signals: [], parameters: null, drive_cycle: null },
      'POST /pay': { fmu_id: 'msl:BouncingBall' },
      'POST /v2/pay': { fmu_id: 'msl:BouncingBall' },
    });
  }
  const dahlquist = entry('msl:Dahlquist');
  const param = dahlquist?.variables?.find((v) => v.causality === 'parameter')?.name;
  const state = dahlquist?.variables?.find((v) => v.causality === 'output')?.name;
  if (param !== undefined && state !== undefined) {
    ex['POST /sweep'] = {
      base_request: { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1, kpis: [`${state}_max`] },
      sweep_parameters: [{ path: `start_values.${param}`, values: [0.5, 1, 2] }],
      post_processing: [
        {
          chart_type: 'xy_plot',
          chart_title: `${state}(1) over ${param}`,
          x_axis_param: `start_values.${param}`,
          y_axis_kpi: `kpis.final_${state}`,
        },
      ],
    };
  }
  return ex;
}

export async function registerDocs(app: FastifyInstance, publicBaseUrl: string | undefined, catalog?: CatalogLike): Promise<void> {
  const examples = catalog === undefined ? {} : libraryExamples(catalog);
  const errorSchema = z.toJSONSchema(RestErrorSchema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete errorSchema.$schema;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'FMU Gateway',
        description:
          'Find, inspect and run FMI 2.0 / 3.0 simulation models (FMUs). Create a key with POST /keys and send it as ' +
          '`Authorization: Bearer <key>`. Two contracts, one router: the root paths answer as the original FMU Gateway did ' +
          '(its SDK and scripts work unchanged; tag "original API"), our richer shapes are under /v2/. Errors carry `detail` ' +
          '(the message) and `error` {code, message, hint, data} with a stable code. A 402 carries the payment data. ' +
          'MCP (Streamable HTTP) is served at /mcp with the same key.',
        version: ENGINE_VERSION.replace(/^fmu-gateway /, ''),
      },
      ...(publicBaseUrl !== undefined && publicBaseUrl !== '' ? { servers: [{ url: publicBaseUrl }] } : {}),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from POST /keys.' } } },
      security: [{ bearer: [] }],
    },
    transform: (args) => {
      const out = jsonSchemaTransform(args);
      // No padlock where no key is asked: /health, /keys, the webhook, the docs.
      if (args.route.config?.auth === 'public') (out.schema as { security?: unknown[] }).security = [];
      return out;
    },
    transformObject: (doc) => finishDocument('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject, { examples, errorSchema }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs/swagger', staticCSP: true });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  let page: string | undefined;
  app.get('/docs', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    page ??= renderDocsPage(app.swagger() as Record<string, unknown>);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(page);
  });
}
