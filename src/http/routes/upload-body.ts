/**
 * Receiving an uploaded .fmu (multipart field "file"), shared by POST /fmus (the original's shape)
 * and POST /v2/fmus: streamed to a temporary file under MAX_FMU_MB while hashed, then stored by
 * content for the caller. One place, so both faces refuse the same things the same way.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import type { UploadFmuSuccess } from '../../schemas/upload.ts';
import { scopeToCaller, uploadFmuFromFile } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema } from '../error-status.ts';

/** The multipart body, for the OpenAPI document (Swagger UI shows a file picker for it). */
export const UploadBodySchema = z
  .object({ file: z.string().meta({ format: 'binary' }).describe('The .fmu file (a zip archive).') })
  .describe('multipart/form-data with the .fmu in the field "file".');

/** The error answers of an upload route, the same on both surfaces. */
export const UPLOAD_ERROR_RESPONSES = {
  400: RestErrorSchema,
  401: RestErrorSchema,
  413: RestErrorSchema,
  422: RestErrorSchema,
  507: RestErrorSchema,
} as const;

export const mb = (n: number): string => (n / 1048576).toFixed(1);

/** Thrown when the file passes MAX_FMU_MB; the routes answer it with 413. */
export class UploadTooLarge extends GatewayError {
  constructor(limit: number) {
    super('BAD_REQUEST', `The FMU is larger than the ${mb(limit)} MB this gateway accepts (MAX_FMU_MB)`, {
      limit_bytes: limit,
      hint: 'Upload a smaller FMU (e.g. without unused platform binaries), or raise MAX_FMU_MB on a gateway you run.',
    });
  }
}

export async function receiveUpload(req: FastifyRequest, deps: RestDeps): Promise<UploadFmuSuccess> {
  const { ctx, accounts } = deps;
  const maxBytes = ctx.config.limits.maxFmuBytes;
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
    throw new UploadTooLarge(maxBytes);
  }
  const out = await uploadFmuFromFile(scopeToCaller(ctx, accounts, callerOf(req), 'rest'), tmp);
  if (out.fmu_id !== `sha256:${hash.digest('hex')}`)
    throw new GatewayError('INTERNAL', 'upload: the stored digest differs from the received bytes');
  return out;
}

/** The multipart limits both upload routes register. */
export function multipartLimits(maxBytes: number) {
  return { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 10, fieldSize: 1024 } };
}
