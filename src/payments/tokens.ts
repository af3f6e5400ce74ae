/**
 * Payment tokens: 32 random bytes (base64url, prefixed), stored only as their sha256, bound to
 * the key that paid, single-use, expiring. Using one consumes it atomically; a run that fails for
 * a gateway reason gives it back.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { hashToken } from './identity.ts';
import type { PaymentStore, PaymentTokenRecord } from './port.ts';

export const TOKEN_PREFIX = 'fgpt_';
const TOKEN_PATTERN = /^fgpt_[A-Za-z0-9_-]{43}$/;
/** Records outlive their expiry by a day so a late use is told "expired", not "unknown". */
const GRACE_MS = 24 * 3600 * 1000;
const spentFlag = (hash: string): string => `token-spent:${hash}`;
/** Lives exactly as long as the token: gone record + live flag = another call is using it now. */
const liveFlag = (hash: string): string => `token-live:${hash}`;
/** Outlives the token by the grace period: gone record + known flag only = expired. */
const knownFlag = (hash: string): string => `token-known:${hash}`;

export async function issueToken(
  store: PaymentStore,
  record: Omit<PaymentTokenRecord, 'expires_at'>,
  ttlMinutes: number,
  now = Date.now(),
): Promise<{ token: string; record: PaymentTokenRecord }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const full: PaymentTokenRecord = { ...record, expires_at: new Date(now + ttlMinutes * 60_000).toISOString() };
  const hash = hashToken(token);
  await store.putToken(hash, full, ttlMinutes * 60_000 + GRACE_MS);
  await store.putFlag(liveFlag(hash), ttlMinutes * 60_000);
  await store.putFlag(knownFlag(hash), ttlMinutes * 60_000 + GRACE_MS);
  return { token, record: full };
}

/** A consumed token; giveBack() restores it (once) when the run failed for a gateway reason. */
export interface TokenLease {
  record: PaymentTokenRecord;
  giveBack(): Promise<void>;
}

export interface TokenUse {
  keyRef: string;
  fmuId: string;
  amountMinor: number;
  currency: string;
}

/**
 * Consumes the token for this use or throws a coded refusal: PAYMENT_TOKEN_INVALID (malformed,
 * unknown, or another key's), PAYMENT_TOKEN_USED, PAYMENT_TOKEN_EXPIRED, PAYMENT_TOKEN_MISMATCH.
 * A token refused for a reason of this call (key, model, price) is put back untouched.
 */
export async function takeToken(store: PaymentStore, token: string, use: TokenUse, now = Date.now()): Promise<TokenLease> {
  if (!TOKEN_PATTERN.test(token)) {
    throw new GatewayError('PAYMENT_TOKEN_INVALID', 'payment_token is not a token this gateway issued', {
      hint: 'Pass the payment_token returned by redeem_checkout, unchanged.',
    });
  }
  const hash = hashToken(token);
  const record = await store.consumeToken(hash);
  if (record === undefined) {
    // The winner of a concurrent use writes its spent flag just after its take: until then the
    // live flag tells "in use" apart from "expired" (the store returns no record past expires_at).
    if ((await store.hasFlag(spentFlag(hash))) || (await store.hasFlag(liveFlag(hash)))) {
      throw new GatewayError('PAYMENT_TOKEN_USED', 'This payment_token has already paid for a run');
    }
    if (await store.hasFlag(knownFlag(hash))) {
      throw new GatewayError('PAYMENT_TOKEN_EXPIRED', 'This payment_token has expired');
    }
    throw new GatewayError('PAYMENT_TOKEN_INVALID', 'Unknown payment_token');
  }
  const expiresAt = Date.parse(record.expires_at);
  const putBack = async (): Promise<void> => store.putToken(hash, record, Math.max(1000, expiresAt - now + GRACE_MS));
  if (record.key_ref !== use.keyRef) {
    await putBack();
    // Said as "unknown": another key's token is not something to confirm the existence of.
    throw new GatewayError('PAYMENT_TOKEN_INVALID', 'Unknown payment_token');
  }
  if (now >= expiresAt) {
    // Put back so a later try is told "expired" again, until the record's grace period ends.
    await putBack();
    throw new GatewayError('PAYMENT_TOKEN_EXPIRED', `This payment_token expired at ${record.expires_at}`, {
      expires_at: record.expires_at,
    });
  }
  if (record.fmu_id !== undefined && record.fmu_id !== use.fmuId) {
    await putBack();
    throw new GatewayError('PAYMENT_TOKEN_MISMATCH', `This payment_token pays only for runs of ${record.fmu_id}`, {
      token_fmu_id: record.fmu_id,
    });
  }
  if (record.currency !== use.currency || record.amount_minor < use.amountMinor) {
    await putBack();
    throw new GatewayError('PAYMENT_TOKEN_MISMATCH', 'This payment_token paid less than this request costs', {
      paid_minor: record.amount_minor,
      price_minor: use.amountMinor,
      currency: use.currency,
    });
  }
  await store.putFlag(spentFlag(hash), Math.max(1000, expiresAt - now) + GRACE_MS);
  let returned = false;
  return {
    record,
    async giveBack() {
      if (returned) return;
      returned = true;
      await putBack();
      await store.takeFlag(spentFlag(hash));
    },
  };
}
