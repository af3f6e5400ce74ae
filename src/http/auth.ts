/**
 * Bearer authentication for every route that does not opt out (config.auth = "public"), as an
 * onRequest hook: a request without a valid key gets 401 UNAUTHORIZED before any work is done.
 * /mcp (config.auth = "mcp") also admits keyless callers where MCP_ANONYMOUS allows it: by default
 * only clients on the loopback interface that do not come through a proxy.
 * On routes that start simulations, a request admission control would refuse whoever sent it is
 * answered 503 before its key is looked up (earlyRefusal); every other request is authenticated.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.ts';
import { ANONYMOUS_CALLER, authenticateKey, type AccountStore, type ServiceContext } from '../service/index.ts';
import type { RestDeps } from './deps.ts';
import type { RestError } from './error-status.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = BEARER.exec(h);
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

/** The part of an ioredis client the shared limiter needs (the scale-out rate-limit connection). */
export interface SharedLimitRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** INCR a window's counter, giving it its expiry on creation: one atomic step. */
const INCR_WINDOW = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

export interface AuthFailureLimiter {
  /** Seconds until the address may try again, or 0 when it may now (memory only: no round trip). */
  blockedFor(address: string, now?: number): number;
  /** Counts one failure of the address (here, and in the shared Redis when there is one). */
  fail(address: string, now?: number): Promise<void>;
}

/**
 * Failed authentications per client address, in one-minute windows: checked BEFORE a key is
 * looked up, so a flood of wrong keys is answered 429 from memory and never reaches the store
 * (the per-key budget of the rate limiter can only apply once a key is known). Only failures
 * count: many honest callers behind one address (a proxy, a NAT) are not limited by it.
 *
 * With `shared` (scale-out: the Redis the rate limits use), failures are also counted in Redis per
 * aligned window, and a node that sees the address's total reach the limit blocks it too: N nodes
 * behind a load balancer allow an address `max` failures plus at most one more per node (each
 * node learns of the total at its own next failure), instead of `max` per node. The check stays a
 * memory lookup; Redis is only written on a failure, and a Redis fault leaves the node's own count.
 */
export function createAuthFailureLimiter(maxPerMinute: number, windowMs = 60_000, shared?: SharedLimitRedis): AuthFailureLimiter {
  let windowStart = Number.NEGATIVE_INFINITY;
  let counts = new Map<string, number>();
  /** Addresses the shared count blocked, until when (ms). */
  let blockedUntil = new Map<string, number>();
  const roll = (now: number) => {
    // A window starts at the first request after the previous one ended (or the clock went back).
    if (now - windowStart >= windowMs || now < windowStart) {
      windowStart = now;
      counts = new Map();
    }
  };
  return {
    blockedFor(address: string, now = Date.now()): number {
      roll(now);
      const until = Math.max((counts.get(address) ?? 0) >= maxPerMinute ? windowStart + windowMs : 0, blockedUntil.get(address) ?? 0);
      return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : 0;
    },
    async fail(address: string, now = Date.now()): Promise<void> {
      roll(now);
      // Bounded memory under a spray of addresses: past 100k entries the window starts over.
      if (counts.size >= 100_000 && !counts.has(address)) counts = new Map();
      counts.set(address, (counts.get(address) ?? 0) + 1);
      if (shared === undefined) return;
      const window = Math.floor(now / windowMs);
      try {
        const total = Number(await shared.eval(INCR_WINDOW, 1, `fmu-gateway-authfail:${window}:${address}`, String(windowMs * 2)));
        if (total >= maxPerMinute) {
          if (blockedUntil.size >= 100_000) blockedUntil = new Map();
          blockedUntil.set(address, (window + 1) * windowMs);
        }
      } catch {
        // The shared Redis is away: this node's own count still limits the address.
      }
    },
  };
}

type Admission = NonNullable<ServiceContext['admission']>;
type Refusal = NonNullable<ReturnType<Admission['refusal']>>;

/**
 * The body of a refusal of admission control (503 SERVER_BUSY + Retry-After, sendBusy): the REST
 * error shape (error-status.ts: `{ detail, error: { code, message, hint, data } }`, the same as
 * restErrorOf(busyError(r)); a unit test holds them equal), built from the refusal's data. No
 * Error is made (its stack capture was most of a refusal's cost) and no response schema runs: an
 * overloaded server answers its refusals in bursts, and each one's cost delays every other
 * request, /health included.
 */
export function busyBody(r: Refusal): RestError {
  return {
    detail: r.message,
    error: {
      code: 'SERVER_BUSY',
      message: r.message,
      hint: r.hint,
      data: { scope: r.scope, limit: r.limit, retry_after_seconds: r.retryAfterSeconds },
    },
  };
}

function sendBusy(reply: FastifyReply, r: Refusal): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', String(r.retryAfterSeconds))
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(busyBody(r)));
}

/**
 * A request that admission control would refuse whoever sent it, decided before the key is
 * looked up in the store (the lookup was most of the rest of a refusal's cost). Two cases only:
 * - the gateway holds all its places: every caller would be refused, so the answer says nothing
 *   about the presented key (a wrong key gets the same 503 as a valid one);
 * - the presented key's hash holds all of its caller's places: places are only ever taken by
 *   requests that passed authentication with a key of that hash, so this IS a verified key (a
 *   wrong key's hash holds none and goes on to the store and its 401).
 * Only refusals skip the lookup: a request that would be admitted is always authenticated first.
 * Requests without a key-shaped Bearer (anonymous, malformed) take the normal path.
 */
function earlyRefusal(admission: Admission, accounts: AccountStore, req: FastifyRequest): Refusal | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const key = BEARER.exec(h)?.[1];
  const callerId = key === undefined ? undefined : accounts.keys.hashOf(key);
  return callerId === undefined ? undefined : admission.refusal(callerId);
}

export function registerAuth(app: FastifyInstance, deps: RestDeps, sharedRedis?: SharedLimitRedis): void {
  const anonymous = deps.ctx.config.accounts.mcpAnonymous;
  const admission = deps.ctx.admission;
  const failures = createAuthFailureLimiter(deps.ctx.config.accounts.rateLimitPerMinute, 60_000, sharedRedis);
  app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (req, reply) => {
    // No route matched: the not-found handler answers (404 beats 401 for a path that is not there).
    if (req.routeOptions.url === undefined) return;
    const auth = req.routeOptions.config.auth ?? (req.routeOptions.url.startsWith('/docs') ? 'public' : 'key');
    if (auth === 'public') return;
    const wait = failures.blockedFor(req.ip);
    if (wait > 0) {
      throw new GatewayError('RATE_LIMITED', 'Too many failed authentications from this address; try again later.', {
        retry_after_seconds: wait,
        hint: 'Check the API key (POST /keys creates one) and retry after the Retry-After delay.',
      });
    }
    if (admission !== undefined && req.routeOptions.config.admission === true) {
      const refusal = earlyRefusal(admission, deps.accounts, req);
      if (refusal !== undefined) return sendBusy(reply, refusal);
    }
    try {
      const key = bearerOf(req);
      if (auth === 'mcp' && key === undefined && (anonymous === 'always' || (anonymous === 'loopback' && isLocalClient(req)))) {
        req.caller = { id: ANONYMOUS_CALLER, anonymous: true };
        return;
      }
      const record = await authenticateKey(deps.accounts, key);
      req.caller = { id: record.key_hash, anonymous: false };
      return undefined;
    } catch (e) {
      // A store outage is not the caller's failure (it is a 503, never a 401): not counted.
      if (e instanceof GatewayError && e.code === 'UNAUTHORIZED') await failures.fail(req.ip);
      throw e;
    }
  });
}

/**
 * Routes that start simulations (config.admission = true) are refused at once when the caller or
 * the gateway has no place left (src/runner/admission.ts): right after authentication, before the
 * body is read, parsed or validated, before any store write, with a body serialized by hand (no
 * response-schema work). An overloaded server thus spends almost nothing per refusal and its
 * workers stay busy with the requests it did accept.
 */
export function registerAdmissionCheck(app: FastifyInstance, ctx: ServiceContext): void {
  const admission = ctx.admission;
  if (admission === undefined) return;
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.admission !== true) return undefined;
    const refusal = admission.refusal(req.caller?.id);
    return refusal === undefined ? undefined : sendBusy(reply, refusal);
  });
}

/** The caller of an authenticated route (the hook guarantees it). */
export function callerOf(req: FastifyRequest): string {
  if (req.caller === undefined) throw new GatewayError('INTERNAL', `route ${req.routeOptions.url ?? '?'} ran without its auth hook`);
  return req.caller.id;
}
