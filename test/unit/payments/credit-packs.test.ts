/** CREDIT_PACKS parsing: the default, custom lists, and coded refusals of what does not parse. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { GatewayError } from '../../../src/errors.ts';
import { parseCreditPacks } from '../../../src/schemas/credits.ts';

describe('CREDIT_PACKS', () => {
  it('defaults to 10 runs for 800 and 50 runs for 3500', () => {
    assert.deepEqual(parseCreditPacks(loadConfig({}).stripe.creditPacks), [
      { runs: 10, amountCents: 800 },
      { runs: 50, amountCents: 3500 },
    ]);
  });
  it('reads runs:cents pairs, sorted by runs; empty or "none" sells none', () => {
    assert.deepEqual(parseCreditPacks(' 100:6000 , 5:450'), [
      { runs: 5, amountCents: 450 },
      { runs: 100, amountCents: 6000 },
    ]);
    assert.deepEqual(parseCreditPacks(''), []);
    assert.deepEqual(parseCreditPacks('none'), []);
  });
  for (const bad of ['10', '10:', ':800', '10:8.00', '0:800', '10:0', '10:800,', '-1:800', '10:800;50:3500', '10:800,10:700', 'ten:800']) {
    it(`refuses "${bad}" with CONFIG_INVALID`, () => {
      assert.throws(
        () => parseCreditPacks(bad),
        (e: unknown) => e instanceof GatewayError && e.code === 'CONFIG_INVALID' && e.data?.['variable'] === 'CREDIT_PACKS',
      );
    });
  }
});
