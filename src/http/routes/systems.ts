/**
 * Connected systems over REST: POST /systems (an SSP archive as content_base64, or a JSON system
 * description) → system_id; POST /systems/{id}/simulate (the simulate_system request without
 * system_id / system) → the completed envelope of POST /simulate, columns "component.variable".
 * Components are the key's uploads or library models; runs are billed to the key and readable
 * only with it. A client that goes away cancels its run.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SimulateRestOutputSchema } from '../../schemas/rest.ts';
import {
  createSimulateSystemInputSchema,
  SystemDescriptionSchema,
  SystemIdSchema,
  UploadSystemSuccessSchema,
} from '../../schemas/system.ts';
import { scopeToCaller, simulateSystem, uploadSystem } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

const errors = {
  400: RestErrorSchema,
  401: RestErrorSchema,
  404: RestErrorSchema,
  422: RestErrorSchema,
  503: RestErrorSchema,
  504: RestErrorSchema,
};

export const systemRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');
  // Over HTTP a path would read the server's files: only bytes or a description.
  const UploadBody = z
    .strictObject({
      content_base64: z.string().min(1).optional().describe('The .ssp archive, base64.'),
      system: SystemDescriptionSchema.optional().describe('A JSON system description instead.'),
    })
    .refine((v) => (v.content_base64 === undefined) !== (v.system === undefined), 'give exactly one of content_base64 and system');

  app.post(
    '/systems',
    {
      // base64 of an archive up to MAX_FMU_MB, plus JSON.
      bodyLimit: Math.ceil(ctx.config.limits.maxFmuBytes * 1.4) + 65536,
      schema: {
        operationId: opId(deps.surface, 'uploadSystem'),
        summary: 'Upload a connected system',
        description: 'An SSP 1.0/2.0 archive (content_base64) or a JSON system description. Components of an archive become your uploads.',
        tags: ['systems'],
        body: UploadBody,
        response: { 200: UploadSystemSuccessSchema, ...errors },
      },
    },
    async (req) => uploadSystem(scoped(callerOf(req)), req.body),
  );

  const { system_id: _id, system: _system, ...runShape } = createSimulateSystemInputSchema(ctx.config.limits).shape;
  app.post(
    '/systems/:id/simulate',
    {
      // Refused before its body is read when there is no place (src/http/auth.ts registerAdmissionCheck).
      config: { admission: true },
      schema: {
        operationId: opId(deps.surface, 'simulateSystem'),
        summary: 'Simulate a connected system',
        description: 'The run options of POST /simulate; names are "component.variable". The full result is at result_url (CSV).',
        tags: ['systems'],
        params: z.object({ id: SystemIdSchema }),
        body: z.strictObject(runShape),
        response: { 200: SimulateRestOutputSchema, ...errors },
      },
    },
    async (req, reply) => {
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
      };
      reply.raw.once('close', onClose);
      try {
        const { output, plotPng } = await simulateSystem(
          scoped(callerOf(req)),
          { ...req.body, system_id: req.params.id },
          { signal: abort.signal },
        );
        return {
          ...output,
          result_url: `/runs/${output.run_id}/result.csv`,
          ...(plotPng !== undefined ? { plot_png_base64: plotPng.toString('base64') } : {}),
        };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
};
