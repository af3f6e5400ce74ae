/** Our answers → the original gateway's shapes (its fields first, ours beside them). */
import type { CompatPayment, CompatSimulationResult } from '../../../schemas/compat.ts';
import type { PaymentRequired } from '../../../schemas/errors.ts';
import type { QuoteSuccess } from '../../../schemas/payments.ts';
import type { OutputSummary, SimulateCompleted } from '../../../schemas/simulate.ts';

const DESCRIPTION = 'FMU Simulation Charge';
const NEXT_STEP =
  'Complete checkout at checkout_url, then GET /payments/checkout/{session_id} for your payment_token and send the request again with it';

/** Our method names → the original's ("x402" is what it called "crypto"). */
function methodsOf(ours: readonly string[]): string[] {
  return ours.map((m) => (m === 'x402' ? 'crypto' : m));
}

/** The x402 requirements travel beside the original's fields, for x402 clients. */
function x402Fields(p: { x402Version?: unknown; resource?: unknown; accepts?: unknown }): Record<string, unknown> {
  return p.accepts === undefined ? {} : { x402Version: p.x402Version, resource: p.resource, accepts: p.accepts };
}

export function paymentFromRequired(p: PaymentRequired, error: string | null): CompatPayment {
  return {
    status: 'payment_required',
    amount: p.amount,
    currency: p.currency,
    methods: methodsOf(p.methods),
    description: DESCRIPTION,
    next_step: NEXT_STEP,
    checkout_url: p.checkout_url,
    session_id: p.session_id,
    error,
    payment_required: true,
    expires_at: p.expires_at,
    next_steps: p.next_steps,
    ...x402Fields(p),
  };
}

export function paymentFromQuote(q: QuoteSuccess, status: 'payment_required' | 'quote_only', error: string | null): CompatPayment {
  const out: CompatPayment = {
    status,
    amount: q.amount,
    currency: q.currency,
    methods: methodsOf(
      q.checkout?.methods ?? [
        ...(q.payment_required && q.checkout_unavailable === undefined ? ['stripe_checkout'] : []),
        ...(q.x402 === undefined ? [] : ['x402']),
      ],
    ),
    description: status === 'quote_only' ? 'Simulation payment quote' : DESCRIPTION,
    next_step: q.payment_required ? NEXT_STEP : 'This run is free: send the request again without quote_only',
    checkout_url: q.checkout?.checkout_url ?? null,
    session_id: q.checkout?.session_id ?? null,
    error,
    payment_required: q.payment_required,
    next_steps: q.next_steps,
    ...(q.checkout === undefined ? {} : { expires_at: q.checkout.expires_at }),
    ...(q.checkout_unavailable === undefined ? {} : { checkout_unavailable: q.checkout_unavailable }),
  };
  return q.x402 === undefined ? out : { ...out, accepts: q.x402.accepts };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

/** What a stored or just-finished run has of the completed answer (the series aside). */
export interface RunFacts {
  run_id: string;
  rows: number;
  summary: Record<string, OutputSummary>;
  kpis: Record<string, number | null>;
  provenance: SimulateCompleted['provenance'];
}

export function simulationResult(run: RunFacts, guid: string, resultUrl: string): CompatSimulationResult {
  const keyResults: Record<string, number | string | null> = { final_time: run.provenance.stop_time };
  for (const [name, s] of Object.entries(run.summary)) keyResults[`final_${name}`] = s.final;
  for (const [name, v] of Object.entries(run.kpis)) keyResults[name] = v;
  const p = run.provenance;
  const provenance: Record<string, string> = { fmi_version: p.fmi_version, guid, sha256: p.fmu_sha256 };
  for (const [k, v] of Object.entries(p)) if (!(k in provenance) && k !== 'fmu_sha256') provenance[k] = str(v);
  return {
    run_id: run.run_id,
    status: 'ok',
    key_results: keyResults,
    provenance,
    artifacts: [resultUrl],
    summary_url: `/simulations/${run.run_id}`,
    result_url: resultUrl,
    rows: run.rows,
    kpis: run.kpis,
    summary: run.summary,
  };
}
