/**
 * x402 over HTTP: the client's signed payment arrives base64-encoded JSON in PAYMENT-SIGNATURE
 * (x402 v2) or X-PAYMENT (v1 clients); the settlement goes back in PAYMENT-RESPONSE. The payload
 * is only decoded here; the payments layer checks it with the facilitator.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../../errors.ts';
import type { X402SettleResponse } from '../../../schemas/x402.ts';

const MAX_HEADER_CHARS = 16 * 1024;

export function x402PaymentFromHeaders(req: FastifyRequest): unknown {
  const raw = req.headers['payment-signature'] ?? req.headers['x-payment'];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || text.length > MAX_HEADER_CHARS)
    throw new GatewayError('PAYMENT_INVALID', 'The x402 payment header is too large');
  try {
    return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as unknown;
  } catch {
    throw new GatewayError('PAYMENT_INVALID', 'The x402 payment header is not base64-encoded JSON', {
      hint: "Send PAYMENT-SIGNATURE: base64(JSON of the signed PaymentPayload) for one of the 402 answer's accepts.",
    });
  }
}

export function sendSettlement(reply: FastifyReply, settlement: X402SettleResponse | undefined): void {
  if (settlement !== undefined) void reply.header('payment-response', Buffer.from(JSON.stringify(settlement)).toString('base64'));
}
