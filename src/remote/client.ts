/**
 * Typed client of a hosted FMU Gateway's REST API (our shapes, under /v2/), built on the same zod schemas as our own routes
 * (responses are parsed with them, so a remote that drifts from the contract is a coded
 * REMOTE_ERROR, not a silent mismatch). Uploads are content-addressed: the client asks for the
 * sha256 first and sends bytes only when the remote does not have them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { FormData } from 'undici';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import {
  CreditCheckoutSchema,
  CreditCheckoutStatusSchema,
  CreditsSchema,
  type CreditCheckout,
  type CreditCheckoutStatus,
  type Credits,
} from '../schemas/credits.ts';
import { ListLibrarySuccessSchema, type ListLibrarySuccess } from '../schemas/library.ts';
import {
  PayOutputSchema,
  PendingSchema,
  QuoteSuccessSchema,
  RedeemedSchema,
  type PayInput,
  type PayOutput,
  type Pending,
  type QuoteSuccess,
  type Redeemed,
} from '../schemas/payments.ts';
import { ReportSuccessSchema, type ReportOptions, type ReportSuccess } from '../schemas/report.ts';
import { SimulateCompletedSchema, type SimulateCompleted, type SimulateInput } from '../schemas/simulate.ts';
import { UploadFmuSuccessSchema, type UploadFmuSuccess } from '../schemas/upload.ts';
import { GetVariablesSuccessSchema, type GetVariablesInput, type GetVariablesSuccess } from '../schemas/variables.ts';
import { RemoteHttp, type RemoteHttpOptions } from './http.ts';

export type GatewayClientOptions = RemoteHttpOptions;

export interface HealthInfo {
  status: string;
  [key: string]: unknown;
}

export interface UploadResult {
  fmu_id: string;
  sha256: string;
  /** False when the remote already had these bytes and nothing was sent. */
  bytes_sent: boolean;
  /** The remote's summary of the FMU, when it was sent now. */
  summary?: UploadFmuSuccess;
}

export class GatewayClient {
  private readonly http: RemoteHttp;
  private readonly opts: GatewayClientOptions;

  constructor(opts: GatewayClientOptions) {
    this.opts = opts;
    this.http = new RemoteHttp(opts);
  }

  /** The same gateway with another API key (e.g. one just created with createKey). */
  withApiKey(apiKey: string): GatewayClient {
    return new GatewayClient({ ...this.opts, apiKey });
  }

  get hasApiKey(): boolean {
    return this.opts.apiKey !== undefined;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** GET /health (no key needed). */
  async health(opts: { signal?: AbortSignal } = {}): Promise<HealthInfo> {
    const { data } = await this.http.json({ method: 'GET', path: '/health', idempotent: true, ...sig(opts.signal) });
    const obj = asObject(data, 'GET /health');
    return { ...obj, status: typeof obj.status === 'string' ? obj.status : 'unknown' };
  }

  /** POST /keys → a new API key (not retried: each call makes a key). */
  async createKey(): Promise<string> {
    const { data } = await this.http.json({ method: 'POST', path: '/v2/keys', idempotent: false, json: {} });
    const key = asObject(data, 'POST /keys').key;
    if (typeof key !== 'string' || key === '') throw contractError('POST /keys', 'no key in the answer');
    return key;
  }

  async listLibrary(query?: string, limit?: number): Promise<ListLibrarySuccess> {
    const { data } = await this.http.json({ method: 'GET', path: '/v2/library', query: { query, limit }, idempotent: true });
    return parse(ListLibrarySuccessSchema, withOk(data), 'GET /library');
  }

  async getVariables(input: GetVariablesInput): Promise<GetVariablesSuccess> {
    const { fmu_id, ...rest } = input;
    const query: Record<string, string | number | undefined> = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) query[k] = typeof v === 'number' ? v : String(v);
    const { data } = await this.http.json({
      method: 'GET',
      path: `/v2/fmus/${encodeURIComponent(fmu_id)}/variables`,
      query,
      idempotent: true,
    });
    return parse(GetVariablesSuccessSchema, withOk(data), 'GET /fmus/{id}/variables');
  }

  /** GET /fmus/by-sha256/{sha}: whether the remote holds these bytes for this key (undefined when not). */
  async findFmuBySha256(sha256: string): Promise<{ fmu_id: string } | undefined> {
    const { status, data } = await this.http.json({ method: 'GET', path: `/v2/fmus/by-sha256/${sha256}`, idempotent: true, accept: [404] });
    if (status === 404) return undefined;
    const fmuId = asObject(data, 'GET /fmus/by-sha256/{sha}').fmu_id;
    if (fmuId !== `sha256:${sha256}`) throw contractError('GET /fmus/by-sha256/{sha}', `fmu_id ${String(fmuId)} is not sha256:${sha256}`);
    return { fmu_id: fmuId };
  }

  /**
   * Uploads a .fmu (a file path or its bytes) unless the remote already holds its sha256. A file is
   * streamed from disk, never read whole into memory.
   */
  async uploadFmu(source: { path: string } | { bytes: Uint8Array }): Promise<UploadResult> {
    const sha = 'path' in source ? await sha256OfFile(source.path) : createHash('sha256').update(source.bytes).digest('hex');
    const existing = await this.findFmuBySha256(sha);
    if (existing !== undefined) return { fmu_id: existing.fmu_id, sha256: sha, bytes_sent: false };
    const form = new FormData();
    const blob = 'path' in source ? await openAsBlob(source.path) : new Blob([source.bytes]);
    form.append('file', blob, 'model.fmu');
    // Content-addressed: sending the same bytes twice stores them once, so a retry is safe.
    const { data } = await this.http.json({ method: 'POST', path: '/v2/fmus', body: form, idempotent: true });
    const stored = parse(UploadFmuSuccessSchema, withOk({ warnings: [], ...asObject(data, 'POST /fmus') }), 'POST /fmus');
    if (stored.fmu_id !== `sha256:${sha}`) {
      throw contractError('POST /fmus', `the remote stored the file as ${stored.fmu_id}, expected sha256:${sha}`);
    }
    return { fmu_id: stored.fmu_id, sha256: sha, bytes_sent: true, summary: stored };
  }

  /**
   * POST /simulate. Never retried (a run may cost money). A 402 throws PAYMENT_REQUIRED with the
   * payment data, which the faces turn into the payment_required result.
   */
  async simulate(input: SimulateInput, opts: { signal?: AbortSignal } = {}): Promise<SimulateCompleted> {
    const { data } = await this.http.json({ method: 'POST', path: '/v2/simulate', json: input, idempotent: false, ...sig(opts.signal) });
    return parse(SimulateCompletedSchema, data, 'POST /simulate');
  }

  /** POST /quote: the price of a simulate request (same body as /simulate); creates a checkout when payment is due. */
  async quote(input: SimulateInput): Promise<QuoteSuccess> {
    const { data } = await this.http.json({ method: 'POST', path: '/v2/quote', json: input, idempotent: false });
    return parse(QuoteSuccessSchema, data, 'POST /quote');
  }

  /** POST /pay: a checkout session (optionally for one FMU). */
  async pay(body: PayInput = {}): Promise<PayOutput> {
    const { data } = await this.http.json({ method: 'POST', path: '/v2/pay', json: body, idempotent: false });
    return parse(PayOutputSchema, data, 'POST /pay');
  }

  /**
   * GET /payments/checkout/{session_id}: the payment token once paid, status "pending" before.
   * Not retried: the token of a session is handed out once.
   */
  async redeemCheckout(sessionId: string): Promise<Redeemed | Pending> {
    const { data } = await this.http.json({
      method: 'GET',
      path: `/v2/payments/checkout/${encodeURIComponent(sessionId)}`,
      idempotent: false,
    });
    return parse(z.union([RedeemedSchema, PendingSchema]), data, 'GET /payments/checkout/{id}');
  }

  /** GET /credits: the key's prepaid run credits, the packs on sale and one page of the ledger (newest first). */
  async credits(page: { limit?: number; cursor?: string } = {}): Promise<Credits> {
    const q = new URLSearchParams();
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    if (page.cursor !== undefined) q.set('cursor', page.cursor);
    const qs = q.toString();
    const { data } = await this.http.json({ method: 'GET', path: `/v2/credits${qs === '' ? '' : `?${qs}`}`, idempotent: true });
    return parse(CreditsSchema, data, 'GET /credits');
  }

  /** POST /credits/checkout: a Stripe Checkout for a credit pack; its runs are credited once paid. */
  async buyCredits(pack: string | number): Promise<CreditCheckout> {
    const { data } = await this.http.json({ method: 'POST', path: '/v2/credits/checkout', json: { pack }, idempotent: false });
    return parse(CreditCheckoutSchema, data, 'POST /credits/checkout');
  }

  /** GET /credits/checkout/{session_id}: pending, credited or expired (asks Stripe when no webhook has told yet). */
  async creditCheckoutStatus(sessionId: string): Promise<CreditCheckoutStatus> {
    const { data } = await this.http.json({
      method: 'GET',
      path: `/v2/credits/checkout/${encodeURIComponent(sessionId)}`,
      idempotent: true,
    });
    return parse(CreditCheckoutStatusSchema, data, 'GET /credits/checkout/{id}');
  }

  /** GET /runs/{id}: the stored run's metadata. */
  async getRun(runId: string): Promise<Record<string, unknown>> {
    const { data } = await this.http.json({ method: 'GET', path: `/v2/runs/${encodeURIComponent(runId)}`, idempotent: true });
    return asObject(data, 'GET /runs/{id}');
  }

  /** POST /runs/{id}/report or /sweeps/{id}/report: a report of a stored run or sweep of this key. */
  async createReport(kind: 'run' | 'sweep', id: string, options: ReportOptions): Promise<ReportSuccess> {
    const { data } = await this.http.json({
      method: 'POST',
      path: `/v2/${kind === 'run' ? 'runs' : 'sweeps'}/${encodeURIComponent(id)}/report`,
      json: options,
      idempotent: false,
    });
    return parse(ReportSuccessSchema, data, 'POST /runs/{id}/report');
  }

  /** GET one file of a report by the link createReport gave (a path on this gateway). */
  async downloadReportFile(link: string): Promise<Buffer> {
    if (!/^\/(v2\/)?reports\/[^/]+\/report\.(json|md|png)$/.test(link)) {
      throw new GatewayError('REMOTE_ERROR', `The gateway gave an unexpected report link: ${link.slice(0, 200)}`);
    }
    const res = await this.http.send({ method: 'GET', path: link, headers: { accept: '*/*' }, idempotent: true });
    return Buffer.from(await res.body.arrayBuffer());
  }

  /** Streams GET /runs/{id}/result.csv to `destPath` (written to a temporary name, then renamed). */
  async downloadResultCsv(runId: string, destPath: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
    const res = await this.http.send({
      method: 'GET',
      path: `/v2/runs/${encodeURIComponent(runId)}/result.csv`,
      headers: { accept: 'text/csv' },
      idempotent: true,
      ...sig(opts.signal),
    });
    const tmp = `${destPath}.${process.pid}.part`;
    let bytes = 0;
    res.body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    try {
      await pipeline(res.body, createWriteStream(tmp));
      await rename(tmp, destPath);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return bytes;
  }
}

function sig(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

function asObject(data: unknown, what: string): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw contractError(what, 'the answer is not a JSON object');
  return data as Record<string, unknown>;
}

/** Our success envelopes carry status "ok"; a REST answer may omit it. */
function withOk(data: unknown): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? { status: 'ok', ...(data as object) } : data;
}

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw contractError(what, `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return r.data;
}

function contractError(what: string, detail: string): GatewayError {
  return new GatewayError('REMOTE_ERROR', `The remote gateway's answer to ${what} does not match the API contract (${detail})`, {
    hint: 'The remote may run an incompatible version; check its /openapi.json.',
  });
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
