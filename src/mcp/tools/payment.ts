/**
 * What the paid tools share at the MCP edge (the caller is the context's: the HTTP endpoint
 * builds each request's server over a context scoped to its API key): the client's x402 payment from `_meta["x402/payment"]`, the
 * settlement in the result's `_meta["x402/payment-response"]`, and offering the checkout URL by
 * URL-mode elicitation when the client supports it.
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { isGatewayError } from '../../errors.ts';
import { PaymentRequiredSchema } from '../../schemas/errors.ts';
import { X402_PAYMENT_META, X402_PAYMENT_RESPONSE_META, type X402SettleResponse } from '../../schemas/x402.ts';

import type { ToolExtra } from '../progress.ts';

/** How long the tool waits for the client to acknowledge the checkout URL before answering. */
const ELICIT_TIMEOUT_MS = 15_000;

/** The x402 PaymentPayload a client attached to the call, if any. */
export function x402PaymentOf(extra: ToolExtra): unknown {
  return extra.mcpReq._meta?.[X402_PAYMENT_META];
}

export function withSettlement(result: CallToolResult, settlement: X402SettleResponse | undefined): CallToolResult {
  return settlement === undefined ? result : { ...result, _meta: { ...result._meta, [X402_PAYMENT_RESPONSE_META]: settlement } };
}

/**
 * Runs a paid tool body; when it answers PAYMENT_REQUIRED and the client supports URL-mode
 * elicitation, first asks the client to show the checkout URL to its user. The error still
 * becomes the payment_required result: the agent redeems after the human has paid.
 */
export async function offeringCheckout(server: McpServer, extra: ToolExtra, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (e) {
    if (isGatewayError(e) && e.code === 'PAYMENT_REQUIRED' && server.server.getClientCapabilities()?.elicitation?.url !== undefined) {
      const payment = PaymentRequiredSchema.safeParse({ ...e.data, status: 'payment_required' });
      if (payment.success) {
        const p = payment.data;
        // A 2025-era push request; on a 2026-07-28 call the SDK refuses it (that era asks by an
        // input_required result), and the payment_required answer carries the same URL.
        await Promise.resolve()
          .then(() =>
            extra.mcpReq.elicitInput(
              {
                mode: 'url',
                elicitationId: p.session_id,
                url: p.checkout_url,
                message: `This simulation costs ${p.amount} ${p.currency.toUpperCase()}. Open the checkout page to pay; the agent then redeems the checkout and runs it.`,
              },
              { timeout: ELICIT_TIMEOUT_MS },
            ),
          )
          .catch(() => undefined);
      }
    }
    throw e;
  }
}
