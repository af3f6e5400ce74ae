/**
 * GET /library?query= as the original: a plain list of {id (the model name), model_name,
 * fmi_version, guid, description}, plus kind / sha256 / size of the built .fmu and ours (fmu_id).
 * Simulate a listed model as "msl:<id>".
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CompatLibrarySchema } from '../../../schemas/compat.ts';
import type { RestDeps } from '../../deps.ts';
import { RestErrorSchema } from '../../error-status.ts';

/** sha256 of a built library FMU, per path and mtime (the files change only on `npm run build`). */
const digests = new Map<string, { mtimeMs: number; sha256: string; size: number }>();
function fileFacts(path: string): { sha256: string; size: number } | undefined {
  try {
    const st = statSync(path);
    const known = digests.get(path);
    if (known !== undefined && known.mtimeMs === st.mtimeMs) return known;
    const facts = { mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), size: st.size };
    digests.set(path, facts);
    return facts;
  } catch {
    return undefined;
  }
}

export const compatLibraryRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx } = deps;
  app.get(
    '/library',
    {
      schema: {
        operationId: 'listLibraryCompat',
        summary: 'The built-in models (original shape: a list)',
        description: 'Our envelope with tags, equations, counts and ranking is GET /v2/library.',
        tags: ['original API'],
        querystring: z.looseObject({ query: z.string().max(200).optional().describe('Part of a model name (or any word of ours).') }),
        response: { 200: CompatLibrarySchema, 401: RestErrorSchema },
      },
    },
    async (req) => {
      const q = req.query.query?.trim() ?? '';
      return ctx.catalog.list(q === '' ? undefined : q, 200).map((e) => {
        const fmiVersion = e.fmi_versions.includes('3.0') ? '3.0' : (e.fmi_versions[0] ?? '2.0');
        let facts: { sha256: string; size: number } | undefined;
        try {
          facts = fileFacts(ctx.catalog.resolve(`msl:${e.name}`, fmiVersion).fmuPath);
        } catch {
          facts = undefined;
        }
        return {
          id: e.name,
          model_name: e.name,
          fmi_version: fmiVersion,
          guid: null,
          description: e.description ?? null,
          kind: (e.interfaces ?? []).join('+'),
          sha256: facts?.sha256 ?? null,
          size: facts?.size ?? null,
          fmu_id: `msl:${e.name}`,
          fmi_versions: [...e.fmi_versions],
        };
      });
    },
  );
};
