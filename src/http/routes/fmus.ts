/**
 * Uploaded FMUs: POST /fmus (multipart field `file`, streamed to disk under MAX_FMU_MB, stored by
 * content), GET /fmus/{id}, GET /fmus/{id}/variables, and GET|HEAD /fmus/by-sha256/{sha} so a
 * client (a forwarding gateway) can ask whether it must send the bytes at all.
 * Uploads are visible only to the key that uploaded them; library models (msl:) to every key.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { FmuPathParamsSchema, Sha256ParamsSchema, UploadedBySha256Schema, VariablesQuerySchema } from '../../schemas/rest.ts';
import { UploadFmuSuccessSchema } from '../../schemas/upload.ts';
import { GetVariablesSuccessSchema } from '../../schemas/variables.ts';
import { describeLibraryModel, describeUploadedFmu, getVariables, scopeToCaller, uploadFmuFromFile } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema, restErrorBody } from '../error-status.ts';

/** "sha256:<hex>", "sha256%3A<hex>" (decoded by then) or a bare hex digest → the fmu_id. */
function fmuIdOf(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

export const fmuRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const maxBytes = ctx.config.limits.maxFmuBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 10, fieldSize: 1024 } });
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  app.post(
    '/fmus',
    {
      schema: {
        summary: 'Upload an FMU',
        description: `multipart/form-data with the .fmu in the field "file" (at most ${Math.round(maxBytes / 1048576)} MB). The answer's fmu_id is "sha256:<hex>" of the bytes: the same file gives the same id.`,
        tags: ['fmus'],
        consumes: ['multipart/form-data'],
        response: {
          200: UploadFmuSuccessSchema,
          201: UploadFmuSuccessSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          413: RestErrorSchema,
          422: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) {
        throw new GatewayError('BAD_REQUEST', 'POST /fmus takes multipart/form-data with the .fmu in the field "file".', {
          hint: 'curl -F file=@model.fmu -H "Authorization: Bearer $KEY" <gateway>/fmus',
        });
      }
      const part = await req.file();
      if (part === undefined || part.fieldname !== 'file') {
        part?.file.resume();
        throw new GatewayError(
          'BAD_REQUEST',
          `No file in the multipart field "file"${part === undefined ? '' : ` (got "${part.fieldname}")`}.`,
          {
            hint: 'Send the .fmu as the multipart field named "file".',
          },
        );
      }
      const tmp = ctx.fmuStore.tempPath();
      const hash = createHash('sha256');
      try {
        await pipeline(
          part.file,
          new Transform({
            transform(chunk: Buffer, _enc, done) {
              hash.update(chunk);
              done(null, chunk);
            },
          }),
          createWriteStream(tmp),
        );
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      if (part.file.truncated) {
        rmSync(tmp, { force: true });
        const mb = (n: number) => (n / 1048576).toFixed(1);
        const err = new GatewayError('BAD_REQUEST', `The FMU is larger than the ${mb(maxBytes)} MB this gateway accepts (MAX_FMU_MB)`, {
          limit_bytes: maxBytes,
          hint: 'Upload a smaller FMU (e.g. without unused platform binaries), or raise MAX_FMU_MB on a gateway you run.',
        });
        return reply.code(413).send(restErrorBody(err));
      }
      const out = await uploadFmuFromFile(scoped(callerOf(req)), tmp);
      if (out.fmu_id !== `sha256:${hash.digest('hex')}`)
        throw new GatewayError('INTERNAL', 'upload: the stored digest differs from the received bytes');
      return reply.code(out.already_stored ? 200 : 201).send(out);
    },
  );

  const bySha = {
    schema: {
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
        summary: 'Describe an FMU',
        description: 'The model description of an uploaded FMU ("sha256:<hex>") or a library model ("msl:<Name>").',
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

  app.get(
    '/fmus/:id/variables',
    {
      schema: {
        summary: 'List the variables of an FMU',
        tags: ['fmus'],
        params: FmuPathParamsSchema,
        querystring: VariablesQuerySchema,
        response: { 200: GetVariablesSuccessSchema, 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => getVariables(scoped(callerOf(req)), { ...req.query, fmu_id: fmuIdOf(req.params.id) }),
  );
};
