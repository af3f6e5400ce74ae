/** How payments name a caller and a request without storing either in the clear. */
import { createHash } from 'node:crypto';
import { LOCAL_CALLER } from '../schemas/accounts.ts';

/** Callers without an API key (stdio, anonymous loopback HTTP) share this identity. */
export { LOCAL_CALLER };

/** A stable reference to an API key for records and Stripe metadata; the key itself never leaves. */
export function keyRef(callerId: string | undefined): string {
  return createHash('sha256')
    .update(`fmu-gateway:key:${callerId ?? LOCAL_CALLER}`)
    .digest('hex')
    .slice(0, 32);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** JSON with sorted keys, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the simulate request without its payment fields (what the money is for). */
export function requestHash(request: Record<string, unknown>): string {
  const { payment_token: _t, payment_method: _m, ...rest } = request;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}
