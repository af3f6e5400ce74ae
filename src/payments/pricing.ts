/**
 * The price of one simulation: STRIPE_SIMULATION_PRICE_CENTS per started block of
 * STRIPE_SIMULATION_ROWS_PER_UNIT recorded rows (one block for the usual run), in
 * STRIPE_SIMULATION_CURRENCY. The cost drivers say exactly that to the agent.
 */
import type { CostDriver } from '../schemas/payments.ts';

export interface PricingConfig {
  priceCents: number;
  currency: string;
  rowsPerUnit: number;
}

export interface Price {
  /** Minor units (cents; whole units for zero-decimal currencies such as JPY). */
  amountMinor: number;
  /** Major units, as shown to people (1 = 1.00 USD). */
  amount: number;
  currency: string;
  units: number;
  drivers: CostDriver[];
}

/** Currencies Stripe treats as having no minor unit (amounts are whole units). */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export function minorToMajor(amountMinor: number, currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? amountMinor : amountMinor / 100;
}

export function priceFor(rows: number, cfg: PricingConfig): Price {
  const currency = cfg.currency.toLowerCase();
  const units = Math.max(1, Math.ceil(rows / cfg.rowsPerUnit));
  const amountMinor = units * cfg.priceCents;
  const unitMajor = minorToMajor(cfg.priceCents, currency);
  return {
    amountMinor,
    amount: minorToMajor(amountMinor, currency),
    currency,
    units,
    drivers: [
      {
        name: 'price_per_unit',
        value: unitMajor,
        effect: `${unitMajor} ${currency.toUpperCase()} per price unit (STRIPE_SIMULATION_PRICE_CENTS)`,
      },
      {
        name: 'estimated_rows',
        value: rows,
        effect: `one price unit per started ${cfg.rowsPerUnit} recorded rows ((stop_time - start_time) / step + 1); a larger step or shorter span lowers it`,
      },
      { name: 'price_units', value: units, effect: `amount = ${units} x ${unitMajor} ${currency.toUpperCase()}` },
    ],
  };
}
