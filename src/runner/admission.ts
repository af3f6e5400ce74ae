/**
 * Admission control: a bounded number of simulate / sweep requests in flight per caller and in
 * total. Past either bound a request is refused AT ONCE with SERVER_BUSY and a Retry-After
 * estimate, before it touches the store, the payment gate or the pool: an overloaded server
 * spends microseconds on a refusal instead of queueing without bound (and /health stays fast).
 *
 * A request holds its ticket from entry until its answer is ready; the tickets' hold times give
 * the estimate of when a place frees up.
 */
import { GatewayError } from '../errors.ts';

export interface AdmissionOptions {
  /** Requests in flight (running or waiting for a worker), all callers together. */
  maxInFlight: number;
  /** Requests in flight of one caller. */
  maxPerCaller: number;
  /** Workers serving them (for the Retry-After estimate). */
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

export interface Admission {
  /** A place for one request of `caller`, or SERVER_BUSY (503 + Retry-After). */
  admit(caller: string | undefined): AdmissionTicket;
  /**
   * Throws the SERVER_BUSY that `admit` would throw now, taking no place: lets a face refuse a
   * request before reading its body (HTTP onRequest). A request that passes may still be refused
   * by `admit` later, when others took the last places meanwhile.
   */
  check(caller: string | undefined): void;
  stats(): AdmissionStats;
}

/** Key for requests without a caller id (the local user, anonymous MCP). */
const NO_CALLER = '#none';
const MIN_RETRY_S = 1;
const MAX_RETRY_S = 60;

export function createAdmission(opts: AdmissionOptions): Admission {
  const maxInFlight = Math.max(1, opts.maxInFlight);
  const maxPerCaller = Math.max(1, Math.min(opts.maxPerCaller, maxInFlight));
  const workers = Math.max(1, opts.workers);
  const perCaller = new Map<string, number>();
  let inFlight = 0;
  let refused = 0;
  /** Smoothed time a request holds its place, in ms (starts at a guess of a short run). */
  let holdMs = 200;

  /** When a place should be free: the requests ahead, drained by the workers at the observed pace. */
  function retryAfterSeconds(ahead: number): number {
    const s = Math.ceil((holdMs * Math.max(1, ahead)) / workers / 1000);
    return Math.min(MAX_RETRY_S, Math.max(MIN_RETRY_S, s));
  }

  function refuse(scope: 'caller' | 'server', held: number, limit: number): never {
    refused++;
    const retry = retryAfterSeconds(scope === 'caller' ? held : inFlight - maxInFlight + 1);
    throw new GatewayError(
      'SERVER_BUSY',
      scope === 'caller'
        ? `This caller already has ${held} simulations in flight (limit ${limit}); retry in ${retry} s.`
        : `The gateway has ${held} simulations in flight (limit ${limit}); retry in ${retry} s.`,
      {
        scope,
        limit,
        retry_after_seconds: retry,
        hint: `The gateway is busy: retry after ${retry} s (Retry-After), or send fewer requests at once.`,
      },
    );
  }

  function check(key: string): number {
    const mine = perCaller.get(key) ?? 0;
    if (mine >= maxPerCaller) refuse('caller', mine, maxPerCaller);
    if (inFlight >= maxInFlight) refuse('server', inFlight, maxInFlight);
    return mine;
  }

  return {
    check: (caller) => void check(caller ?? NO_CALLER),
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
