/** quote: the price of a simulate request, and where to pay when payment is required. */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { createQuoteInputSchema, QuoteOutputSchema, type QuoteSuccess } from '../../schemas/payments.ts';
import { quote } from '../../service/index.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

function render(q: QuoteSuccess): string {
  if (!q.payments_enabled) return `Free: this gateway does not charge for simulations (${q.estimated_rows} rows). Call simulate directly.`;
  const cr = q.credits;
  if (!q.payment_required && q.amount > 0 && cr !== undefined)
    return `Price: ${q.amount} ${q.currency.toUpperCase()}, paid from your prepaid credits (balance ${cr.balance}). Call simulate directly.`;
  if (!q.payment_required) return `Free: this run costs nothing (${q.estimated_rows} rows). Call simulate directly.`;
  const c = q.checkout;
  return [
    `Price: ${q.amount} ${q.currency.toUpperCase()} for ${q.estimated_rows} rows (${q.cost_drivers.map((d) => `${d.name} = ${d.value}`).join(', ')}).`,
    ...(c === undefined
      ? []
      : [`Pay at ${c.checkout_url}, then redeem_checkout {"session_id": "${c.session_id}"} and simulate with payment_token.`]),
    ...(cr === undefined || cr.packs.length === 0
      ? []
      : [
          `Credits: balance ${cr.balance}; buy_credits sells packs (${cr.packs.map((p) => `${p.runs} runs for ${p.amount_cents / 100} ${p.currency.toUpperCase()}`).join(', ')}).`,
        ]),
  ].join('\n');
}

export function registerQuote(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'quote',
    {
      title: 'Price a simulation',
      description:
        'Takes exactly the arguments of simulate and answers what that run would cost: amount and currency, whether ' +
        'payment is required, estimated rows and the cost drivers. When payment is required it also opens a checkout ' +
        '(checkout_url, session_id): pay there, call redeem_checkout, then simulate with payment_token.',
      inputSchema: createQuoteInputSchema({ maxOutputRows: deps.maxOutputRows }),
      outputSchema: QuoteOutputSchema,
      // Not idempotent when payment is required: each call opens a new checkout session.
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const out = await quote(deps.ctx, args, deps.callerId === undefined ? {} : { callerId: deps.callerId });
        return okResult(out, render(out));
      }, deps.log),
  );
}
