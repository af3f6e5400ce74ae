/**
 * A local stand-in for the part of Stripe's API the gateway calls (Checkout Sessions: create,
 * retrieve, expire), as a real HTTP server the real `stripe` SDK talks to when pointed at it
 * (STRIPE_API_BASE_URL → host/port/protocol). It plays the paying human too: markPaid() completes
 * a session, and sendEvent() delivers a webhook signed with Stripe's real scheme
 * (stripe.webhooks.generateTestHeaderString).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface StandinSession {
  id: string;
  object: 'checkout.session';
  mode: string;
  url: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid';
  amount_total: number;
  currency: string;
  expires_at: number;
  created: number;
  metadata: Record<string, string>;
  client_reference_id: string | null;
  success_url: string;
  cancel_url: string;
  livemode: false;
}

export interface StandinRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

type Nested = Record<string, unknown>;

/** application/x-www-form-urlencoded with Stripe's bracket nesting (a[b][0][c]=v) → object. */
export function parseStripeForm(text: string): Nested {
  const root: Nested = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Nested = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= {};
      node = node[part] as Nested;
    });
  }
  return root;
}

function num(v: unknown): number {
  return typeof v === 'string' ? Number(v) : NaN;
}

export interface StripeStandin {
  /** Base URL for STRIPE_API_BASE_URL, e.g. http://127.0.0.1:41234 */
  url: string;
  secretKey: string;
  webhookSecret: string;
  sessions: Map<string, StandinSession>;
  requests: StandinRequest[];
  /** The human pays: the session becomes complete / paid. */
  markPaid(sessionId: string): StandinSession;
  expire(sessionId: string): StandinSession;
  /** A signed webhook request for an event (payload, header) without sending it. */
  signedEvent(
    type: string,
    session: StandinSession | Nested,
    opts?: { id?: string; secret?: string; timestamp?: number },
  ): {
    id: string;
    payload: string;
    signature: string;
  };
  /** POSTs a signed event to `webhookUrl`; returns the status and body text. */
  sendEvent(
    webhookUrl: string,
    type: string,
    session: StandinSession | Nested,
    opts?: { id?: string; secret?: string; timestamp?: number },
  ): Promise<{ status: number; body: string; eventId: string }>;
  close(): Promise<void>;
}

const signer = new Stripe('sk_test_signer_only');

export async function startStripeStandin(opts: { secretKey?: string; webhookSecret?: string } = {}): Promise<StripeStandin> {
  const secretKey = opts.secretKey ?? `sk_test_${randomBytes(12).toString('hex')}`;
  const webhookSecret = opts.webhookSecret ?? `whsec_${randomBytes(16).toString('hex')}`;
  const sessions = new Map<string, StandinSession>();
  const byIdempotency = new Map<string, string>();
  const requests: StandinRequest[] = [];
  let base = '';

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://x');
      const body = parseStripeForm(req.method === 'GET' ? url.search.slice(1) : text);
      const idem = req.headers['idempotency-key'];
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        authorization: req.headers.authorization,
        idempotencyKey: typeof idem === 'string' ? idem : undefined,
        body,
      });
      const send = (status: number, obj: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` });
        res.end(JSON.stringify(obj));
      };
      const fail = (status: number, type: string, message: string, code?: string): void =>
        send(status, { error: { type, message, ...(code === undefined ? {} : { code }) } });
      if (req.headers.authorization !== `Bearer ${secretKey}`) return fail(401, 'invalid_request_error', 'Invalid API Key provided');

      if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
        if (typeof idem === 'string' && byIdempotency.has(idem)) return send(200, sessions.get(byIdempotency.get(idem) as string));
        const items = body.line_items as Record<string, Nested> | undefined;
        const first = items?.['0'];
        const priceData = first?.price_data as Nested | undefined;
        const amount = num(priceData?.unit_amount) * (first?.quantity === undefined ? 1 : num(first.quantity));
        const currency = priceData?.currency;
        if (body.mode !== 'payment' || !Number.isInteger(amount) || amount < 0 || typeof currency !== 'string') {
          return fail(
            400,
            'invalid_request_error',
            'mode=payment and line_items[0][price_data] with unit_amount and currency are required',
          );
        }
        if (typeof body.success_url !== 'string')
          return fail(400, 'invalid_request_error', 'Missing required param: success_url.', 'parameter_missing');
        const now = Math.floor(Date.now() / 1000);
        const expiresAt = body.expires_at === undefined ? now + 24 * 3600 : num(body.expires_at);
        if (!(expiresAt >= now + 30 * 60 - 5 && expiresAt <= now + 24 * 3600 + 5)) {
          return fail(400, 'invalid_request_error', 'expires_at must be 30 minutes to 24 hours in the future', 'parameter_invalid_integer');
        }
        const id = `cs_test_${randomBytes(16).toString('hex')}`;
        const session: StandinSession = {
          id,
          object: 'checkout.session',
          mode: 'payment',
          url: `${base}/c/pay/${id}`,
          status: 'open',
          payment_status: 'unpaid',
          amount_total: amount,
          currency,
          expires_at: expiresAt,
          created: now,
          metadata: (body.metadata as Record<string, string> | undefined) ?? {},
          client_reference_id: typeof body.client_reference_id === 'string' ? body.client_reference_id : null,
          success_url: body.success_url,
          cancel_url: typeof body.cancel_url === 'string' ? body.cancel_url : '',
          livemode: false,
        };
        sessions.set(id, session);
        if (typeof idem === 'string') byIdempotency.set(idem, id);
        return send(200, session);
      }
      const m = /^\/v1\/checkout\/sessions\/([A-Za-z0-9_]+)(\/expire)?$/.exec(url.pathname);
      if (m !== null) {
        const session = sessions.get(m[1] as string);
        if (session === undefined) return fail(404, 'invalid_request_error', `No such checkout.session: '${m[1]}'`, 'resource_missing');
        if (m[2] === undefined && req.method === 'GET') return send(200, session);
        if (m[2] !== undefined && req.method === 'POST') {
          if (session.status !== 'open') return fail(400, 'invalid_request_error', 'Only open sessions can be expired');
          session.status = 'expired';
          return send(200, session);
        }
      }
      return fail(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`);
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const get = (id: string): StandinSession => {
    const s = sessions.get(id);
    if (s === undefined) throw new Error(`stripe stand-in: no session ${id}`);
    return s;
  };
  const signedEvent: StripeStandin['signedEvent'] = (type, session, o = {}) => {
    const id = o.id ?? `evt_${randomBytes(12).toString('hex')}`;
    const payload = JSON.stringify({
      id,
      object: 'event',
      api_version: '2025-01-01',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      type,
      data: { object: session },
    });
    const signature = signer.webhooks.generateTestHeaderString({
      payload,
      secret: o.secret ?? webhookSecret,
      ...(o.timestamp === undefined ? {} : { timestamp: o.timestamp }),
    });
    return { id, payload, signature };
  };
  return {
    url: base,
    secretKey,
    webhookSecret,
    sessions,
    requests,
    markPaid(id) {
      const s = get(id);
      s.status = 'complete';
      s.payment_status = 'paid';
      return s;
    },
    expire(id) {
      const s = get(id);
      s.status = 'expired';
      return s;
    },
    signedEvent,
    async sendEvent(webhookUrl, type, session, o = {}) {
      const ev = signedEvent(type, session, o);
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature },
        body: ev.payload,
      });
      return { status: res.status, body: await res.text(), eventId: ev.id };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
