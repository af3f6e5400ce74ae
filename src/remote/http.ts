/**
 * One HTTP exchange with a hosted gateway (undici): a deadline per call, retries with backoff for
 * idempotent calls on 429 / 503 / connection errors only, and the remote's `{ error: { code, … } }`
 * bodies mapped back to our GatewayError codes. A 402 becomes PAYMENT_REQUIRED carrying the
 * payment body, so the faces answer exactly as they do for a local 402.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { ERROR_CODES, GatewayError, type ErrorCode } from '../errors.ts';

export interface RemoteHttpOptions {
  /** Base URL of the hosted gateway, e.g. https://gateway.example.com (no trailing path needed). */
  baseUrl: string;
  apiKey?: string;
  /** Deadline for one call, connection to last body byte (default 30 s). */
  timeoutMs?: number;
  /** Extra attempts for idempotent calls (default 3). */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter (default 200 ms). */
  backoffMs?: number;
}

export interface RemoteRequest {
  method: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Dispatcher.DispatchOptions['body'];
  headers?: Record<string, string>;
  /** Safe to send twice (GET, content-addressed upload): only these are retried. */
  idempotent: boolean;
  /** Statuses the caller handles itself (e.g. 404 → undefined) instead of an error. */
  accept?: readonly number[];
  signal?: AbortSignal;
}

export interface RemoteResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);
const RETRY_STATUSES = new Set([429, 503]);
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export class RemoteHttp {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly dispatcher: Agent;

  constructor(opts: RemoteHttpOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 200;
    // undici's own timeouts bound each phase; the AbortSignal below bounds the whole call.
    this.dispatcher = new Agent({
      connect: { timeout: Math.min(this.timeoutMs, 10_000) },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** Sends the request; resolves with a response whose body the caller must consume. */
  async send(req: RemoteRequest): Promise<RemoteResponse> {
    const attempts = req.idempotent ? this.retries + 1 : 1;
    let lastError: GatewayError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.delay(attempt, lastError));
      try {
        const res = await this.once(req);
        if (RETRY_STATUSES.has(res.status) && attempt + 1 < attempts && !(req.accept ?? []).includes(res.status)) {
          const retryAfter = headerValue(res.headers['retry-after']);
          lastError = await errorFromResponse(res, this.baseUrl);
          if (retryAfter !== undefined) lastError = withRetryAfter(lastError, retryAfter);
          continue;
        }
        if (res.status >= 400 && !(req.accept ?? []).includes(res.status)) throw await errorFromResponse(res, this.baseUrl);
        return res;
      } catch (e) {
        const mapped = mapTransportError(e, this.baseUrl, this.timeoutMs);
        if (mapped === undefined) throw e;
        lastError = mapped;
        const retryable = mapped.code === 'REMOTE_UNAVAILABLE';
        if (!retryable || req.signal?.aborted === true) throw mapped;
      }
    }
    throw lastError ?? new GatewayError('REMOTE_UNAVAILABLE', `The gateway at ${this.baseUrl} did not answer`);
  }

  /** send() and parse the JSON body (throws REMOTE_ERROR when it is not JSON). */
  async json(req: RemoteRequest): Promise<{ status: number; data: unknown }> {
    const res = await this.send(req);
    const text = await res.body.text();
    try {
      return { status: res.status, data: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch {
      throw new GatewayError(
        'REMOTE_ERROR',
        `The gateway at ${this.baseUrl} answered ${req.method} ${req.path} with a body that is not JSON`,
        {
          status: res.status,
        },
      );
    }
  }

  private async once(req: RemoteRequest): Promise<RemoteResponse> {
    const url = new URL(this.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let body = req.body;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const res = await request(url, { method: req.method, headers, body: body ?? null, signal, dispatcher: this.dispatcher });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  private delay(attempt: number, last: GatewayError | undefined): number {
    const after = last?.data?.retry_after_seconds;
    if (typeof after === 'number' && after >= 0) return Math.min(after * 1000, 10_000);
    const base = this.backoffMs * 2 ** (attempt - 1);
    return base / 2 + Math.random() * base;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function withRetryAfter(e: GatewayError, retryAfter: string): GatewayError {
  const seconds = Number(retryAfter);
  if (!Number.isFinite(seconds)) return e;
  return new GatewayError(e.code, e.message, { ...e.data, retry_after_seconds: seconds });
}

/** Turns an error body of the remote into our GatewayError (its code when we know it). */
export async function errorFromResponse(res: RemoteResponse, baseUrl: string): Promise<GatewayError> {
  let parsed: unknown;
  const text = await res.body.text().catch(() => '');
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const obj = (parsed ?? {}) as Record<string, unknown>;
  if (res.status === 402) {
    // The payment body is passed on as is: the faces render it as payment_required.
    const payment = (typeof obj.status === 'string' ? obj : (obj.payment ?? obj.error ?? obj)) as Record<string, unknown>;
    return new GatewayError('PAYMENT_REQUIRED', 'Payment is required by the remote gateway for this call', { ...payment, remote: baseUrl });
  }
  const err = (obj.error ?? {}) as Record<string, unknown>;
  const code = typeof err.code === 'string' && KNOWN_CODES.has(err.code) ? (err.code as ErrorCode) : undefined;
  const message = typeof err.message === 'string' ? err.message : `The gateway at ${baseUrl} answered HTTP ${res.status}`;
  const data: Record<string, unknown> = {
    ...(typeof err.data === 'object' && err.data !== null ? (err.data as Record<string, unknown>) : {}),
    remote: baseUrl,
    remote_status: res.status,
  };
  if (typeof err.hint === 'string') data.hint = err.hint;
  if (code !== undefined) return new GatewayError(code, message, data);
  if (res.status === 401 || res.status === 403) return new GatewayError('UNAUTHORIZED', message, data);
  if (res.status === 404) return new GatewayError('NOT_FOUND', message, data);
  if (res.status === 429 || res.status === 503) return new GatewayError('REMOTE_UNAVAILABLE', message, data);
  return new GatewayError('REMOTE_ERROR', message, data);
}

/** Connection and timeout failures → coded errors; anything else is not ours to map. */
function mapTransportError(e: unknown, baseUrl: string, timeoutMs: number): GatewayError | undefined {
  if (e instanceof GatewayError) return e;
  const err = e as { name?: string; code?: string; cause?: { code?: string } };
  if (
    err.name === 'TimeoutError' ||
    e instanceof undiciErrors.HeadersTimeoutError ||
    e instanceof undiciErrors.BodyTimeoutError ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err.code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new GatewayError(
      'REMOTE_TIMEOUT',
      `The gateway at ${baseUrl} did not answer in time (call deadline ${Math.round(timeoutMs / 1000)} s)`,
      {
        remote: baseUrl,
        timeout_ms: timeoutMs,
        hint: 'Try again later, or raise FMU_GATEWAY_REMOTE_TIMEOUT_SECONDS for long simulations.',
      },
    );
  }
  if (err.name === 'AbortError') return new GatewayError('CANCELLED', 'The call to the remote gateway was cancelled', { remote: baseUrl });
  const code = err.code ?? err.cause?.code;
  if (code !== undefined && (CONNECTION_ERRORS.has(code) || e instanceof undiciErrors.SocketError)) {
    return new GatewayError('REMOTE_UNAVAILABLE', `Cannot reach the gateway at ${baseUrl} (${code})`, {
      remote: baseUrl,
      cause: code,
      hint: 'Check FMU_GATEWAY_URL and that the gateway is running; `fmu-gateway doctor` tests the connection.',
    });
  }
  if (e instanceof undiciErrors.UndiciError) {
    return new GatewayError('REMOTE_UNAVAILABLE', `Connection to the gateway at ${baseUrl} failed: ${(e as Error).message}`, {
      remote: baseUrl,
    });
  }
  return undefined;
}
