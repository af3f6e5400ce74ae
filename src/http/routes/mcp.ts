/**
 * /mcp: MCP over Streamable HTTP in the same process as the REST API. The endpoint reads its own
 * body (size cap, 413 without reading the rest), so this route group parses nothing and hands the
 * raw request over. Each request gets an MCP server over the context of its caller: the same key
 * as REST (usage, run ownership and worker reuse per caller), or anonymous where allowed.
 */
import type { FastifyPluginAsync } from 'fastify';
import { scopeToCaller } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';

export const mcpRoutes: FastifyPluginAsync<RestDeps> = async (app, deps) => {
  // Encapsulated: these parsers apply to /mcp only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    config: { auth: 'mcp' },
    schema: { hide: true },
    handler: async (req, reply) => {
      const caller = callerOf(req);
      // A keyless (loopback) caller is not identified to the MCP layer: it lists no runs, though
      // the runs it starts stay readable by their ids to keyless callers (scoped as "anonymous").
      const identified = req.caller?.anonymous === true ? undefined : caller;
      reply.hijack();
      await deps.mcp(
        req.raw,
        reply.raw,
        () => deps.createMcpServer(scopeToCaller(deps.ctx, deps.accounts, caller, 'mcp'), identified),
        identified,
      );
    },
  });
};
