/** redeem_checkout: a paid checkout session → a single-use payment_token for simulate. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { RedeemCheckoutInputSchema, RedeemCheckoutOutputSchema, type RedeemCheckoutOutput } from '../../schemas/payments.ts';
import { redeemCheckout } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

function render(out: RedeemCheckoutOutput): string {
  return out.status === 'redeemed'
    ? `Paid. payment_token (single use, expires ${out.expires_at}): ${out.payment_token}\nNow call simulate with the same arguments plus payment_token.`
    : `Not paid yet. Open ${out.checkout_url} to pay, then call redeem_checkout again (the checkout expires ${out.expires_at}).`;
}

export function registerRedeemCheckout(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'redeem_checkout',
    {
      title: 'Redeem a paid checkout',
      description:
        'After paying at the checkout_url of a payment_required answer, pass its session_id: returns payment_token ' +
        '(single use, expiring, bound to your API key) to pass to simulate; status "pending" while the payment is not ' +
        'confirmed yet (retry after a few seconds). The token is handed out once.',
      inputSchema: RedeemCheckoutInputSchema,
      outputSchema: RedeemCheckoutOutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const out = await redeemCheckout(deps.ctx, args, deps.callerId === undefined ? {} : { callerId: deps.callerId });
        return okResult(out, render(out));
      }, deps.log),
  );
}
