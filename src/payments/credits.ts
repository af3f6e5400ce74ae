/**
 * Credit packs (CREDIT_PACKS): prepaid runs bought through Stripe Checkout and credited to the
 * key by the signed webhook (or by a confirmation that finds the session paid at Stripe), each
 * purchase once: the grant carries one-shot markers for the checkout session and the event,
 * written in the same atomic step as the balance and its ledger entry. A paid run draws its
 * price units from the balance before any checkout is opened; a run that fails for a gateway
 * reason gives them back, once (a marker per draw).
 */
import { GatewayError } from '../errors.ts';
import type { CreditCheckout, CreditCheckoutStatus, CreditPack, Credits, CreditsInfo } from '../schemas/credits.ts';
import { createCheckout, matchesRecord, openFlag, type CheckoutUrls, type TransitionOutcome } from './checkout.ts';
import { keyRef } from './identity.ts';
import type { Logger } from './logger.ts';
import type { CheckoutSessionRecord, CreditStore, PaymentStore } from './port.ts';
import { minorToMajor, type Price } from './pricing.ts';
import type { CheckoutProvider, ProviderSession } from './stripe-provider.ts';

/** Credits drawn for one run; giveBack() returns them (once) when the run failed for a gateway reason. */
export interface CreditLease {
  units: number;
  /** The balance after the draw. */
  balance: number;
  /** Notes the run id on the draw's ledger entry (best effort: the entry stands without it). */
  annotate(runId: string): Promise<void>;
  giveBack(): Promise<void>;
}

export interface CreditPayments {
  readonly packs: readonly CreditPack[];
  info(callerId: string | undefined): Promise<CreditsInfo>;
  list(callerId: string | undefined, page: { limit: number; cursor?: string }): Promise<Credits>;
  checkout(callerId: string | undefined, pack: string): Promise<CreditCheckout>;
  /** Is this pack checkout credited? Asks Stripe when no webhook has said so yet (and credits it then). */
  status(callerId: string | undefined, sessionId: string): Promise<CreditCheckoutStatus>;
  /** Credits a paid pack session once (webhook or confirmation); `eventId` when from a webhook. */
  creditPaid(record: CheckoutSessionRecord, s: ProviderSession, eventId?: string): Promise<TransitionOutcome>;
  /** Draws `units` credits, or answers the balance when it does not cover them. */
  draw(callerId: string | undefined, units: number): Promise<{ lease: CreditLease } | { balance: number }>;
}

export interface CreditDeps {
  store: PaymentStore;
  provider: () => CheckoutProvider;
  urls: CheckoutUrls;
  sessionTtlMinutes: number;
  packs: readonly { runs: number; amountCents: number }[];
  currency: string;
  logger: Logger;
}

export function createCreditPayments(deps: CreditDeps): CreditPayments {
  const currency = deps.currency.toLowerCase();
  const packs: CreditPack[] = deps.packs.map((p) => ({ pack: String(p.runs), runs: p.runs, amount_cents: p.amountCents, currency }));
  const credits = (): CreditStore => {
    if (deps.store.credits === undefined) throw new GatewayError('INTERNAL', 'payments: the account store keeps no credits');
    return deps.store.credits;
  };
  const ownPackSession = async (callerId: string | undefined, sessionId: string): Promise<CheckoutSessionRecord> => {
    const record = await deps.store.getSession(sessionId);
    if (record === undefined || record.key_ref !== keyRef(callerId) || record.credit_runs === undefined) {
      throw new GatewayError('NOT_FOUND', `No credit pack checkout "${sessionId}" for this API key`, {
        hint: 'Use the session_id answered by POST /credits/checkout (buy_credits) with the same API key.',
      });
    }
    return record;
  };

  const api: CreditPayments = {
    packs,
    async info(callerId) {
      return { balance: await credits().balance(keyRef(callerId)), packs };
    },
    async list(callerId, page) {
      const account = keyRef(callerId);
      const [balance, ledger] = await Promise.all([credits().balance(account), credits().ledger(account, page)]);
      return { balance, packs, ledger: ledger.entries, next_cursor: ledger.next_cursor ?? null };
    },
    async checkout(callerId, packId) {
      const pack = packs.find((p) => p.pack === packId);
      if (pack === undefined) {
        throw new GatewayError('UNKNOWN_CREDIT_PACK', `No credit pack "${packId.slice(0, 20)}" is sold here`, {
          packs,
          hint:
            packs.length === 0
              ? 'This gateway sells no credit packs (CREDIT_PACKS is empty).'
              : `Choose one of: ${packs.map((p) => `"${p.pack}" (${p.runs} runs for ${minorToMajor(p.amount_cents, currency)} ${currency.toUpperCase()})`).join(', ')}.`,
        });
      }
      const price: Price = {
        amountMinor: pack.amount_cents,
        amount: minorToMajor(pack.amount_cents, currency),
        currency,
        units: pack.runs,
        drivers: [],
      };
      const record = await createCheckout(
        { store: deps.store, provider: deps.provider(), urls: deps.urls, sessionTtlMinutes: deps.sessionTtlMinutes },
        { keyRef: keyRef(callerId), price, creditRuns: pack.runs },
      );
      return { ...pack, checkout_url: record.checkout_url, session_id: record.session_id };
    },
    async status(callerId, sessionId) {
      let record = await ownPackSession(callerId, sessionId);
      if (record.status === 'open') {
        // The webhook may be late or not configured: ask Stripe, and credit now when it is paid.
        const remote = await deps.provider().retrieveSession(sessionId);
        if (remote.paymentStatus === 'paid') await api.creditPaid(record, remote);
        else if (remote.status === 'expired' && (await deps.store.takeFlag(openFlag(sessionId))))
          await deps.store.putSession({ ...record, status: 'expired' });
        record = await ownPackSession(callerId, sessionId);
      }
      const runs = record.credit_runs ?? 0;
      return {
        session_id: sessionId,
        status: record.status === 'open' ? 'pending' : record.status === 'expired' ? 'expired' : 'credited',
        pack: String(runs),
        runs,
        amount_cents: record.amount_minor,
        currency: record.currency,
        checkout_url: record.checkout_url,
        balance: await credits().balance(record.key_ref),
      };
    },
    async creditPaid(record, s, eventId) {
      const runs = record.credit_runs;
      if (runs === undefined || !matchesRecord(record, s)) return 'mismatch';
      const out = await credits().change(record.key_ref, runs, { reason: 'purchase', checkout_session_id: record.session_id }, [
        `credit-session:${record.session_id}`,
        ...(eventId === undefined ? [] : [`credit-event:${eventId}`]),
      ]);
      if (!out.applied) return 'already';
      // Bookkeeping after the credit (which alone decides): the session shows paid, and its open
      // flag is gone so an expiry event cannot mark it expired afterwards.
      await deps.store.takeFlag(openFlag(record.session_id));
      await deps.store.putSession({
        ...record,
        status: 'paid',
        paid_at: new Date().toISOString(),
        events: eventId === undefined ? record.events : [...(record.events ?? []), eventId],
      });
      deps.logger.info('credit pack credited', { session_id: record.session_id, runs, balance: out.balance });
      return 'applied';
    },
    async draw(callerId, units) {
      const account = keyRef(callerId);
      const out = await credits().change(account, -units, { reason: 'run' });
      if (!out.applied) return { balance: out.balance };
      const drawn = out;
      let returned = false;
      let runId: string | undefined;
      return {
        lease: {
          units,
          balance: drawn.balance,
          async annotate(id) {
            runId = id;
            await credits()
              .annotate(drawn.ref, { run_id: id })
              .catch((e: unknown) => deps.logger.warn('credits: the run id could not be noted on its ledger entry', { error: String(e) }));
          },
          async giveBack() {
            if (returned) return;
            returned = true;
            // The marker makes the refund count once, even if a retry calls this again elsewhere.
            await credits().change(account, units, { reason: 'refund', ...(runId === undefined ? {} : { run_id: runId }) }, [
              `credit-refund:${drawn.entry.id}`,
            ]);
          },
        },
      };
    },
  };
  return api;
}
