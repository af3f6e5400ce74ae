/**
 * The original gateway's simulate request → ours. Lenient where it was (null = absent, unknown
 * fields ignored, {name, t, u} signals, bare-hex ids, payment_method "stripe" / "crypto"), then
 * checked by our own simulate schema: what ours refuses is refused here too, as 422.
 */
import { GatewayError } from '../../../errors.ts';
import { compatSimulateFields, type CompatSimulateRequest } from '../../../schemas/compat.ts';
import { createSimulateInputSchema, type SimulateInput } from '../../../schemas/simulate.ts';
import type { ServiceContext } from '../../../service/index.ts';

/** A request the original would refuse at validation: FastAPI answers these with 422. */
export class CompatValidationError extends GatewayError {
  constructor(message: string, issues: { path: string; message: string }[]) {
    super('BAD_REQUEST', message, { issues, hint: 'Check the request against GET /openapi.json and send it again.' });
  }
}

/** A bare sha256 hex (the original's upload id) → ours. */
export function compatFmuId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

/** "stripe" (the original's default) is our Stripe Checkout; "crypto" is x402 here (Coinbase Commerce is gone). */
function paymentMethodOf(ctx: ServiceContext, m: unknown): string | undefined {
  if (m === undefined || m === null || m === 'stripe' || m === 'stripe_checkout') return undefined;
  if (m === 'crypto' || m === 'x402') {
    if (ctx.payments?.enabled === true && (ctx.config.x402.payTo ?? '') === '') {
      throw new GatewayError(
        'PAYMENT_METHOD_UNSUPPORTED',
        'payment_method "crypto" is paid with x402 here, and this gateway has no X402_PAY_TO',
        {
          setting: 'X402_PAY_TO',
          methods: ['stripe'],
          hint: 'Use payment_method "stripe" (or omit it), or set X402_PAY_TO (the address that receives x402 payments) on the gateway.',
        },
      );
    }
    return 'x402';
  }
  return String(m);
}

/**
 * The simulate schema for a row limit, built once: a zod schema compiles its fast path on first
 * use, so a schema made per request would pay that (and its construction) on every simulate.
 */
const inputSchemas = new Map<number, ReturnType<typeof createSimulateInputSchema>>();
function inputSchemaFor(maxOutputRows: number): ReturnType<typeof createSimulateInputSchema> {
  let schema = inputSchemas.get(maxOutputRows);
  if (schema === undefined) inputSchemas.set(maxOutputRows, (schema = createSimulateInputSchema({ maxOutputRows })));
  return schema;
}

export function toSimulateInput(ctx: ServiceContext, body: CompatSimulateRequest): SimulateInput {
  for (const field of ['parameters', 'drive_cycle'] as const) {
    if (body[field] !== undefined && body[field] !== null) {
      throw new GatewayError(
        'UNSUPPORTED_FEATURE',
        `"${field}" drives the original gateway's built-in gear surrogate, which this gateway does not have`,
        {
          feature: field,
          hint: `Send "${field}": null (or leave it out) and describe the run with fmu_id, start_values and input_signals.`,
        },
      );
    }
  }
  const picked = compatSimulateFields(body as Record<string, unknown>);
  if (typeof picked.fmu_id === 'string') picked.fmu_id = compatFmuId(picked.fmu_id);
  const method = paymentMethodOf(ctx, picked.payment_method);
  if (method === undefined) delete picked.payment_method;
  else picked.payment_method = method;
  const parsed = inputSchemaFor(ctx.config.limits.maxOutputRows).safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message }));
    throw new CompatValidationError(`Invalid request body: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  return parsed.data;
}
