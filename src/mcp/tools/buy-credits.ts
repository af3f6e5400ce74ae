/**
 * buy_credits: a Stripe Checkout for a credit pack (payments on only). Like simulate's checkout,
 * the URL is offered by URL-mode elicitation when the client supports it; when the user is done,
 * the tool asks whether the pack is credited (the webhook, or Stripe asked directly). With
 * `session_id` it only checks an earlier purchase.
 */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { flatOutputSchema } from '../../schemas/common.ts';
import { GatewayError } from '../../errors.ts';
import { BuyCreditsSuccessSchema, CreditPackIdSchema, type BuyCreditsSuccess, type CreditCheckoutStatus } from '../../schemas/credits.ts';
import { ErrorResultSchema } from '../../schemas/errors.ts';
import { CheckoutSessionIdSchema } from '../../schemas/payments.ts';
import { buyCredits, creditCheckoutStatus, listCredits } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

/** How long the tool waits for the user to finish at the checkout page (URL elicitation). */
const ELICIT_TIMEOUT_MS = 120_000;

const InputSchema = z.strictObject({
  pack: CreditPackIdSchema.optional().describe('Pack id (its run count), e.g. "10"; see credits.packs in quote.'),
  session_id: CheckoutSessionIdSchema.optional().describe('Instead: check whether an earlier purchase is credited.'),
});

// flatOutputSchema wants one literal status per variant.
const variant = <S extends string>(status: S) => BuyCreditsSuccessSchema.omit({ status: true }).extend({ status: z.literal(status) });
const OutputSchema = flatOutputSchema(
  [variant('pending'), variant('credited'), variant('expired'), ErrorResultSchema],
  'status "credited": the runs are in balance; "pending": pay at checkout_url, then call again with session_id.',
);

function nextSteps(st: CreditCheckoutStatus): string[] {
  if (st.status === 'credited') return ['Call simulate: runs are now paid from the balance.'];
  if (st.status === 'expired') return ['Call buy_credits with pack again for a new checkout.'];
  return [
    `Open ${st.checkout_url} and pay (a human pays there).`,
    `Then call buy_credits {"session_id": "${st.session_id}"}: "credited" once Stripe confirms.`,
  ];
}

function render(out: BuyCreditsSuccess): string {
  if (out.status === 'credited') return `Credited: ${out.runs} runs. Balance: ${out.balance} credit(s); simulate now draws from it.`;
  if (out.status === 'expired') return `Checkout ${out.session_id} expired unpaid. Balance: ${out.balance}.`;
  return `Pay ${out.amount_cents / 100} ${out.currency.toUpperCase()} for ${out.runs} runs at ${out.checkout_url}, then call buy_credits {"session_id": "${out.session_id}"}.`;
}

export function registerBuyCredits(server: McpServer, deps: ToolDeps): RegisteredTool {
  const callerOpts = deps.callerId === undefined ? {} : { callerId: deps.callerId };
  return server.registerTool(
    'buy_credits',
    {
      title: 'Buy a credit pack',
      description:
        'Opens a Stripe Checkout for a pack of prepaid runs (a human pays at checkout_url). Once paid, simulate draws ' +
        'from the balance instead of answering payment_required.',
      inputSchema: InputSchema,
      outputSchema: OutputSchema,
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        if (args.session_id !== undefined) {
          const st = await creditCheckoutStatus(deps.ctx, args.session_id, callerOpts);
          const out: BuyCreditsSuccess = { ...st, next_steps: nextSteps(st) };
          return okResult(out, render(out));
        }
        if (args.pack === undefined) {
          throw new GatewayError('BAD_REQUEST', 'buy_credits needs pack (or session_id to check a purchase)', {
            hint: 'Call quote: its credits.packs lists the packs on sale.',
          });
        }
        const checkout = await buyCredits(deps.ctx, args.pack, callerOpts);
        let st: CreditCheckoutStatus | undefined;
        if (server.server.getClientCapabilities()?.elicitation?.url !== undefined) {
          // A 2025-era push request; a client that cannot take it still gets checkout_url below.
          const answer = await extra.mcpReq
            .elicitInput(
              {
                mode: 'url',
                elicitationId: checkout.session_id,
                url: checkout.checkout_url,
                message: `A pack of ${checkout.runs} runs costs ${checkout.amount_cents / 100} ${checkout.currency.toUpperCase()}. Open the checkout page to pay.`,
              },
              { timeout: ELICIT_TIMEOUT_MS },
            )
            .catch(() => undefined);
          if (answer?.action === 'accept') st = await creditCheckoutStatus(deps.ctx, checkout.session_id, callerOpts);
        }
        st ??= { ...checkout, status: 'pending', balance: (await listCredits(deps.ctx, { limit: 1 }, callerOpts)).balance };
        const out: BuyCreditsSuccess = { ...st, next_steps: nextSteps(st) };
        return okResult(out, render(out));
      }, deps.log),
  );
}
