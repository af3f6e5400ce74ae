/**
 * Engineering reports over REST: POST /runs/{id}/report and POST /sweeps/{id}/report (body: the
 * report options: purpose, title, variables, limits) create a report of a stored run or sweep of
 * this key and answer 201 with the report JSON and links to its three files;
 * GET /reports/{id}/report.json | report.md | report.png serve them (only to the same key).
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ReportOptionsSchema, ReportSuccessSchema, type ReportSuccess } from '../../schemas/report.ts';
import { scopeToCaller } from '../../service/index.ts';
import { buildReport, readReportFile, REPORT_FILES, saveReport, type ReportFile } from '../../service/report.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, prefixOf, type MountOptions } from './surface.ts';

const errors = {
  400: RestErrorSchema,
  401: RestErrorSchema,
  404: RestErrorSchema,
  422: RestErrorSchema,
  503: RestErrorSchema,
  507: RestErrorSchema,
};

const MEDIA: Record<ReportFile, string> = { json: 'application/json', markdown: 'text/markdown; charset=utf-8', png: 'image/png' };

export const reportRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const prefix = prefixOf(deps.surface);
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');
  const links = (reportId: string): ReportSuccess['files'] => ({
    json: `${prefix}/reports/${reportId}/${REPORT_FILES.json}`,
    markdown: `${prefix}/reports/${reportId}/${REPORT_FILES.markdown}`,
    png: `${prefix}/reports/${reportId}/${REPORT_FILES.png}`,
  });

  for (const [path, what, name] of [
    ['/runs/:id/report', 'a run', 'createRunReport'],
    ['/sweeps/:id/report', 'a sweep', 'createSweepReport'],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          operationId: opId(deps.surface, name),
          summary: `Write an engineering report of ${what}`,
          description:
            'KPIs with units from the full-resolution result (final, min, max, mean, time_of_max, time_of_min, settle, settling_time, peak_to_peak, rms), ' +
            'pass/fail against the limits given, provenance; 201 with report.json inline and links to report.json, report.md (the brief) and report.png (the chart, drawn from every stored row).',
          tags: ['reports'],
          params: z.object({ id: z.string().max(200) }),
          body: ReportOptionsSchema.optional(),
          response: { 201: ReportSuccessSchema, ...errors },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req);
        const ctxOf = scoped(caller);
        const written = await buildReport(ctxOf, req.params.id, req.body ?? {});
        const reportId = saveReport(ctxOf, written, caller);
        const body: ReportSuccess = {
          status: 'ok',
          report_id: reportId,
          verdict: written.report.verdict,
          files: links(reportId),
          report: written.report,
        };
        void reply.header('location', links(reportId).json);
        return reply.code(201).send(body);
      },
    );
  }

  for (const file of Object.keys(REPORT_FILES) as ReportFile[]) {
    app.get(
      `/reports/:id/${REPORT_FILES[file]}`,
      {
        schema: {
          operationId: opId(deps.surface, `getReport${file[0]?.toUpperCase() ?? ''}${file.slice(1)}`),
          summary: `A report's ${REPORT_FILES[file]}`,
          tags: ['reports'],
          params: z.object({ id: z.string().max(100) }),
          produces: [MEDIA[file]],
          response: { 401: RestErrorSchema, 404: RestErrorSchema },
        },
      },
      async (req, reply) => {
        const bytes = readReportFile(scoped(callerOf(req)), req.params.id, file);
        // A file, not a JSON body: sent as bytes past the typed (error-only) response schema.
        const raw = reply as FastifyReply;
        void raw.type(MEDIA[file]);
        return raw.send(bytes);
      },
    );
  }
};
