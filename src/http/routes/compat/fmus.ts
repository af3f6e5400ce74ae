/**
 * The original's FMU routes: POST /fmus → {id: <bare sha256 hex>, sha256, model_name, fmi_version,
 * guid} (200, ours beside), GET /fmus/{id}/variables → a plain list, GET /fmus/by-hash/{sha256}.
 * Stronger than the original, kept: by-hash answers only for FMUs this key uploaded (another key's
 * upload looks absent), and uploads are checked by content, not by file name.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GatewayError } from '../../../errors.ts';
import { CompatByHashSchema, CompatUploadSchema, CompatVariablesSchema } from '../../../schemas/compat.ts';
import { FmuPathParamsSchema, Sha256ParamsSchema } from '../../../schemas/rest.ts';
import { getVariables, scopeToCaller } from '../../../service/index.ts';
import { callerOf } from '../../auth.ts';
import { RestErrorSchema, restErrorBody } from '../../error-status.ts';
import type { RestDeps } from '../../deps.ts';
import { mb, multipartLimits, receiveUpload, UPLOAD_ERROR_RESPONSES, UploadBodySchema, UploadTooLarge } from '../upload-body.ts';
import { compatFmuId } from './request.ts';

export const compatFmuRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const maxBytes = ctx.config.limits.maxFmuBytes;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');
  await app.register(multipart, multipartLimits(maxBytes));

  app.post(
    '/fmus',
    {
      schema: {
        operationId: 'uploadFmuCompat',
        summary: 'Upload an FMU (original shape)',
        description: `multipart/form-data, the .fmu in the field "file" (at most ${mb(maxBytes)} MB). Answers 200 with id = the bare sha256 hex of the bytes (use it as fmu_id), as the original did; ours follow (fmu_id "sha256:<hex>", interfaces, platforms, counts...).`,
        tags: ['original API'],
        consumes: ['multipart/form-data'],
        body: UploadBodySchema,
        response: {
          200: CompatUploadSchema,
          ...UPLOAD_ERROR_RESPONSES,
        },
      },
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      try {
        const out = await receiveUpload(req, deps);
        const hex = out.fmu_id.slice('sha256:'.length);
        return await reply.code(200).send({ id: hex, sha256: hex, ...out });
      } catch (e) {
        if (e instanceof UploadTooLarge) return reply.code(413).send(restErrorBody(e));
        throw e;
      }
    },
  );

  app.get(
    '/fmus/by-hash/:sha',
    {
      schema: {
        operationId: 'getFmuByHash',
        summary: 'Has this key uploaded these bytes? (original shape)',
        description: "200 with the FMU's metadata when this key uploaded an FMU with this sha256, 404 otherwise (then POST /fmus).",
        tags: ['original API'],
        params: Sha256ParamsSchema,
        response: { 200: CompatByHashSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => {
      const rec = await accounts.uploads.getOwned(req.params.sha, callerOf(req));
      if (rec === undefined || ctx.fmuStore.pathOf(rec.sha256) === undefined) {
        throw new GatewayError('NOT_FOUND', 'FMU with this hash not found', {
          hint: 'Upload it with POST /fmus (multipart field "file").',
        });
      }
      const info = await getVariables(scoped(callerOf(req)), { fmu_id: `sha256:${rec.sha256}`, limit: 1 });
      return {
        fmu_id: rec.sha256,
        id: rec.sha256,
        sha256: rec.sha256,
        model_name: rec.model_name,
        fmi_version: rec.fmi_version,
        guid: info.guid,
        size_bytes: rec.size_bytes,
      };
    },
  );

  app.get(
    '/fmus/:id/variables',
    {
      schema: {
        operationId: 'getVariablesCompat',
        summary: 'The variables of an FMU (original shape: a plain list)',
        description:
          'id: an upload\'s bare sha256 hex, "sha256:<hex>" or "msl:<Name>". Our envelope (filters, limits) is GET /v2/fmus/{id}/variables.',
        tags: ['original API'],
        params: FmuPathParamsSchema,
        response: { 200: CompatVariablesSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => {
      const out = await getVariables(scoped(callerOf(req)), { fmu_id: compatFmuId(req.params.id), limit: 10_000 });
      return out.variables.map(({ name, causality, variability, declared_type, ...rest }) => ({
        name,
        causality,
        variability,
        declaredType: declared_type ?? null,
        ...rest,
      }));
    },
  );
};
