/**
 * Uploaded FMUs, our shapes: POST /v2/fmus (multipart field `file`, streamed to disk under
 * MAX_FMU_MB, stored by content), GET /fmus/{id}, GET /v2/fmus/{id}/variables, and GET|HEAD
 * /fmus/by-sha256/{sha} so a client (a forwarding gateway) can ask whether it must send the bytes.
 * The root POST /fmus and GET /fmus/{id}/variables are the original's (compat/fmus.ts).
 * Uploads are visible only to the key that uploaded them; library models (msl:) to every key.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { FmuPathParamsSchema, Sha256ParamsSchema, UploadedBySha256Schema, VariablesQuerySchema } from '../../schemas/rest.ts';
import { UploadFmuSuccessSchema } from '../../schemas/upload.ts';
import { GetVariablesSuccessSchema } from '../../schemas/variables.ts';
import { describeLibraryModel, describeUploadedFmu, getVariables, scopeToCaller } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema, restErrorBody } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';
import { mb, multipartLimits, receiveUpload, UPLOAD_ERROR_RESPONSES, UploadBodySchema, UploadTooLarge } from './upload-body.ts';

/** "sha256:<hex>", "sha256%3A<hex>" (decoded by then) or a bare hex digest → the fmu_id. */
export function fmuIdOf(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

export const fmuRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts, surface } = deps;
  const maxBytes = ctx.config.limits.maxFmuBytes;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  if (surface === 'v2') {
    await app.register(multipart, multipartLimits(maxBytes));
    app.post(
      '/fmus',
      {
        schema: {
          operationId: opId(surface, 'uploadFmu'),
          summary: 'Upload an FMU',
          description: `multipart/form-data with the .fmu in the field "file" (at most ${mb(maxBytes)} MB). The answer's fmu_id is "sha256:<hex>" of the bytes: the same file gives the same id. 201 when stored now, 200 when this key had it already.`,
          tags: ['fmus'],
          consumes: ['multipart/form-data'],
          body: UploadBodySchema,
          response: {
            200: UploadFmuSuccessSchema,
            201: UploadFmuSuccessSchema,
            ...UPLOAD_ERROR_RESPONSES,
          },
        },
        // The multipart stream is read by the handler; the body schema is for the document only.
        validatorCompiler: () => () => true,
      },
      async (req, reply) => {
        try {
          const out = await receiveUpload(req, deps);
          return await reply.code(out.already_stored ? 200 : 201).send(out);
        } catch (e) {
          if (e instanceof UploadTooLarge) return reply.code(413).send(restErrorBody(e));
          throw e;
        }
      },
    );

    app.get(
      '/fmus/:id/variables',
      {
        schema: {
          operationId: opId(surface, 'getVariables'),
          summary: 'List the variables of an FMU',
          tags: ['fmus'],
          params: FmuPathParamsSchema,
          querystring: VariablesQuerySchema,
          response: { 200: GetVariablesSuccessSchema, 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema },
        },
      },
      async (req) => getVariables(scoped(callerOf(req)), { ...req.query, fmu_id: fmuIdOf(req.params.id) }),
    );
  }

  const bySha = {
    schema: {
      operationId: opId(surface, 'getUploadBySha256'),
      summary: 'Is an FMU with these bytes stored for this key?',
      description:
        'Ask by sha256 before sending the bytes: 200 with the fmu_id when this key has uploaded them, 404 otherwise (then POST /fmus).',
      tags: ['fmus'],
      params: Sha256ParamsSchema,
      response: { 200: UploadedBySha256Schema, 401: RestErrorSchema, 404: RestErrorSchema },
    },
  } as const;
  app.get('/fmus/by-sha256/:sha', bySha, async (req) => {
    const rec = await accounts.uploads.getOwned(req.params.sha, callerOf(req));
    // The record and the file: a swept file must not be announced as stored.
    if (rec === undefined || (ctx.fmuStore.pathOf(rec.sha256) ?? (await ctx.fmuStore.fetch?.(rec.sha256))) === undefined) {
      throw new GatewayError('NOT_FOUND', `This key has no uploaded FMU with sha256 ${req.params.sha}`, {
        hint: 'Upload it with POST /fmus (multipart field "file").',
      });
    }
    return {
      fmu_id: `sha256:${rec.sha256}`,
      sha256: rec.sha256,
      size_bytes: rec.size_bytes,
      model_name: rec.model_name,
      fmi_version: rec.fmi_version,
    };
  });

  app.get(
    '/fmus/:id',
    {
      schema: {
        operationId: opId(surface, 'describeFmu'),
        summary: 'Describe an FMU',
        description: 'The model description of an uploaded FMU ("sha256:<hex>" or the bare hex) or a library model ("msl:<Name>").',
        tags: ['fmus'],
        params: FmuPathParamsSchema,
        response: { 200: z.record(z.string(), z.unknown()), 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => {
      const id = fmuIdOf(req.params.id);
      const c = scoped(callerOf(req));
      if (id.startsWith('msl:')) return (await describeLibraryModel(c, id.slice(4))).data;
      if (!id.startsWith('sha256:')) {
        throw new GatewayError('BAD_REQUEST', `"${req.params.id}" is not an FMU id`, { hint: 'Use "msl:<Name>" or "sha256:<hex>".' });
      }
      return (await describeUploadedFmu(c, id.slice(7))).data;
    },
  );
};
