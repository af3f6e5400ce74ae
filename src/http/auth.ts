/**
 * Bearer authentication for every route that does not opt out (config.auth = "public"), as an
 * onRequest hook: a request without a valid key gets 401 UNAUTHORIZED before any work is done.
 * /mcp (config.auth = "mcp") also admits keyless callers where MCP_ANONYMOUS allows it: by default
 * only clients on the loopback interface that do not come through a proxy.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.ts';
import { ANONYMOUS_CALLER, authenticateKey } from '../service/index.ts';
import type { RestDeps } from './deps.ts';

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  if (m === null) {
    throw new GatewayError('UNAUTHORIZED', 'The Authorization header must be "Bearer <key>".', {
      hint: 'Send "Authorization: Bearer <key>" with a key from POST /keys.',
    });
  }
  return m[1];
}

/** A direct loopback client: a proxy on this machine forwarding strangers does not count. */
export function isLocalClient(req: FastifyRequest): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const a = req.socket.remoteAddress ?? '';
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

export function registerAuth(app: FastifyInstance, deps: RestDeps): void {
  const anonymous = deps.ctx.config.accounts.mcpAnonymous;
  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (req) => {
    // No route matched: the not-found handler answers (404 beats 401 for a path that is not there).
    if (req.routeOptions.url === undefined) return;
    const auth = req.routeOptions.config.auth ?? (req.routeOptions.url.startsWith('/docs') ? 'public' : 'key');
    if (auth === 'public') return;
    const key = bearerOf(req);
    if (auth === 'mcp' && key === undefined && (anonymous === 'always' || (anonymous === 'loopback' && isLocalClient(req)))) {
      req.caller = { id: ANONYMOUS_CALLER, anonymous: true };
      return;
    }
    const record = await authenticateKey(deps.accounts, key);
    req.caller = { id: record.key_hash, anonymous: false };
  });
}

/** The caller of an authenticated route (the hook guarantees it). */
export function callerOf(req: FastifyRequest): string {
  if (req.caller === undefined) throw new GatewayError('INTERNAL', `route ${req.routeOptions.url ?? '?'} ran without its auth hook`);
  return req.caller.id;
}
