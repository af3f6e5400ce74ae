/**
 * Admission control: a bounded number of simulate / sweep requests in flight per caller and in
 * total. Past either bound a request is refused AT ONCE with SERVER_BUSY and a Retry-After
 * estimate, before it touches the store, the payment gate or the pool: an overloaded server
 * spends microseconds on a refusal instead of queueing without bound (and /health stays fast).
 *
 * A request holds its ticket from entry until its answer is ready; the tickets' hold times give
 * the estimate of when a place frees up.
 *
 * Retry-After is a place in a virtual queue, not one figure for everyone: places free at about
 * `held / holdMs` per ms (Little's law), so the k-th client refused while the places are full is
 * told to come back k such intervals later. Refused clients then return spread out instead of all
 * together one second later (a thundering herd the event loop would answer in one long burst,
 * delaying every other request, /health included), and each is refused fewer times.
 */
import { GatewayError } from '../errors.ts';

export interface AdmissionOptions {
  /** Requests in flight (running or waiting for a worker), all callers together. */
  maxInFlight: number;
  /** Requests in flight of one caller. */
  maxPerCaller: number;
  /** Workers serving them (kept for callers that size the pool; the estimate uses hold times). */
  workers: number;
}

export interface AdmissionTicket {
  /** The request is answered: its place is free (idempotent). */
  release(): void;
}

export interface AdmissionStats {
  inFlight: number;
  callers: number;
  refused: number;
  maxInFlight: number;
  maxPerCaller: number;
}

/** Why a request is refused: plain data, so a face can answer without building an Error. */
export interface AdmissionRefusal {
  /** The caller's own bound, or the gateway's. */
  scope: 'caller' | 'server';
  /** Places held in that scope. */
  held: number;
  limit: number;
  /** Whole seconds until a place should be free for this client (≥ 1). */
  retryAfterSeconds: number;
  /** The SERVER_BUSY message and hint (one wording for the Error and a face's own body). */
  message: string;
  hint: string;
}

export interface Admission {
  /** A place for one request of `caller`, or SERVER_BUSY (503 + Retry-After). */
  admit(caller: string | undefined): AdmissionTicket;
  /**
   * Throws the SERVER_BUSY that `admit` would throw now, taking no place: lets a face refuse a
   * request before reading its body (HTTP onRequest). A request that passes may still be refused
   * by `admit` later, when others took the last places meanwhile.
   */
  check(caller: string | undefined): void;
  /**
   * What `check` would throw, as data (undefined: there is room), counted as a refusal. The HTTP
   * face's fast path: no Error (no stack capture) for the refusals of an overloaded server.
   */
  refusal(caller: string | undefined): AdmissionRefusal | undefined;
  stats(): AdmissionStats;
}

/** Key for requests without a caller id (the local user, anonymous MCP). */
const NO_CALLER = '#none';
/** Key of the gateway-wide virtual queue. */
const SERVER = '#server';
const MIN_RETRY_S = 1;
const MAX_RETRY_S = 60;

/** The SERVER_BUSY error of a refusal (the MCP face and in-process callers get it thrown). */
export function busyError(r: AdmissionRefusal): GatewayError {
  return new GatewayError('SERVER_BUSY', r.message, {
    scope: r.scope,
    limit: r.limit,
    retry_after_seconds: r.retryAfterSeconds,
    hint: r.hint,
  });
}

export function createAdmission(opts: AdmissionOptions): Admission {
  const maxInFlight = Math.max(1, opts.maxInFlight);
  const maxPerCaller = Math.max(1, Math.min(opts.maxPerCaller, maxInFlight));
  const perCaller = new Map<string, number>();
  /** Per scope (a caller's key or SERVER): the time (performance.now ms) last promised to a refused client. */
  let promised = new Map<string, number>();
  let inFlight = 0;
  let refused = 0;
  /** Smoothed time a request holds its place, in ms (starts at a guess of a short run). */
  let holdMs = 200;

  /** The next place in `scope`'s virtual queue: one interval between two frees after the last promise. */
  function retryAfterSeconds(scope: string, held: number, now: number): number {
    const interval = holdMs / Math.max(1, held);
    const slot = Math.max(now, promised.get(scope) ?? 0) + interval;
    // Bounded memory under many refused callers: promises in the past carry no information.
    if (promised.size >= 10_000 && !promised.has(scope)) {
      const live = new Map<string, number>();
      for (const [k, t] of promised) if (t > now) live.set(k, t);
      promised = live;
    }
    promised.set(scope, Math.min(slot, now + MAX_RETRY_S * 1000));
    return Math.min(MAX_RETRY_S, Math.max(MIN_RETRY_S, Math.ceil((slot - now) / 1000)));
  }

  function refusal(key: string): AdmissionRefusal | undefined {
    const mine = perCaller.get(key) ?? 0;
    let scope: AdmissionRefusal['scope'];
    let held: number;
    let limit: number;
    if (mine >= maxPerCaller) [scope, held, limit] = ['caller', mine, maxPerCaller];
    else if (inFlight >= maxInFlight) [scope, held, limit] = ['server', inFlight, maxInFlight];
    else return undefined;
    refused++;
    const retry = retryAfterSeconds(scope === 'caller' ? key : SERVER, held, performance.now());
    return {
      scope,
      held,
      limit,
      retryAfterSeconds: retry,
      message:
        scope === 'caller'
          ? `This caller already has ${held} simulations in flight (limit ${limit}); retry in ${retry} s.`
          : `The gateway has ${held} simulations in flight (limit ${limit}); retry in ${retry} s.`,
      hint: `The gateway is busy: retry after ${retry} s (Retry-After), or send fewer requests at once.`,
    };
  }

  function check(key: string): number {
    const r = refusal(key);
    if (r !== undefined) throw busyError(r);
    return perCaller.get(key) ?? 0;
  }

  return {
    check: (caller) => void check(caller ?? NO_CALLER),
    refusal: (caller) => refusal(caller ?? NO_CALLER),
    admit(caller: string | undefined): AdmissionTicket {
      const key = caller ?? NO_CALLER;
      const mine = check(key);
      perCaller.set(key, mine + 1);
      inFlight++;
      const since = performance.now();
      let released = false;
      return {
        release(): void {
          if (released) return;
          released = true;
          inFlight--;
          const n = (perCaller.get(key) ?? 1) - 1;
          if (n > 0) perCaller.set(key, n);
          else perCaller.delete(key);
          holdMs = 0.8 * holdMs + 0.2 * (performance.now() - since);
        },
      };
    },
    stats: () => ({ inFlight, callers: perCaller.size, refused, maxInFlight, maxPerCaller }),
  };
}
