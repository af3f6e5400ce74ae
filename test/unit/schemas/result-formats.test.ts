import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateResultFormat } from '../../../src/schemas/result-formats.ts';

describe('Accept negotiation of a run result', () => {
  it('picks by media type, q-value and order; CSV by default', () => {
    assert.equal(negotiateResultFormat(undefined), 'csv');
    assert.equal(negotiateResultFormat('*/*'), 'csv');
    assert.equal(negotiateResultFormat('application/vnd.apache.parquet'), 'parquet');
    assert.equal(negotiateResultFormat('application/x-matlab-data, text/csv;q=0.5'), 'mat');
    assert.equal(negotiateResultFormat('text/csv;q=0.2, application/vnd.apache.arrow.file'), 'arrow');
    assert.equal(negotiateResultFormat('application/*'), 'arrow');
    assert.equal(negotiateResultFormat('text/csv;q=0, */*'), 'arrow');
    assert.equal(negotiateResultFormat('application/x-parquet'), 'parquet');
  });

  it('returns nothing when no format is acceptable (406)', () => {
    assert.equal(negotiateResultFormat('image/png'), undefined);
    assert.equal(negotiateResultFormat('text/csv;q=0'), undefined);
  });
});
