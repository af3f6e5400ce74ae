/**
 * The CSV writer's byte path for grid times must print exactly what timeFormatter prints (the
 * CSV contract), for every grid time, over many grids; and decline (−1) what it cannot print.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridTimeWriter, timeFormatter } from '../../../src/store/time-format.ts';

const out = new Uint8Array(64);
function viaBytes(w: NonNullable<ReturnType<typeof gridTimeWriter>>, t: number): string | undefined {
  const end = w(t, out, 0);
  return end < 0 ? undefined : Buffer.from(out.subarray(0, end)).toString('latin1');
}

describe('grid times as bytes', () => {
  const grids: [number, number, number][] = [
    [0, 0.01, 200_000],
    [0, 0.001, 200_000],
    [0, 0.002, 50_000],
    [0, 1e-5, 50_000],
    [0, 1e-6, 20_000],
    [0, 0.25, 20_000],
    [0, 1, 20_000],
    [0, 3, 20_000],
    [0.1, 1e-7, 20_000],
    [1000, 0.001, 50_000],
    [-5, 0.01, 20_000],
    [-0.5, 0.125, 20_000],
    [1e9, 0.5, 20_000],
    [0, 0.1, 100_000],
    [0, 1 / 3, 100], // not a finite decimal: no byte path
  ];
  for (const [start, step, count] of grids) {
    it(`prints what timeFormatter prints on start ${start}, step ${step}`, () => {
      const f = timeFormatter({ start, step });
      const w = gridTimeWriter({ start, step });
      let used = 0;
      for (let i = 0; i < count; i++) {
        const t = start + i * step;
        const b = w === undefined ? undefined : viaBytes(w, t);
        if (b === undefined) continue;
        used++;
        assert.equal(b, f(t), `i = ${i}, t = ${t}`);
      }
      // A positive control: the byte path was taken on decimal grids (not declined everywhere).
      if (step !== 1 / 3) assert.ok(used > count * 0.99, `byte path taken for ${used} of ${count}`);
    });
  }

  it('declines times off the grid (events), leaving them to the shortest round trip', () => {
    const w = gridTimeWriter({ start: 0, step: 0.01 });
    assert.ok(w !== undefined);
    assert.equal(viaBytes(w, 0.45152364098577435), undefined);
    assert.equal(viaBytes(w, 0.47000000000000003 + 1e-12), undefined);
    assert.equal(viaBytes(w, 47 * 0.01), '0.47');
    assert.equal(viaBytes(w, 0), '0');
    assert.equal(viaBytes(w, 100 * 0.01), '1');
  });

  it('has no byte path without a grid', () => {
    assert.equal(gridTimeWriter(undefined), undefined);
  });
});
