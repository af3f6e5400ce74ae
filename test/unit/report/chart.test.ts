import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutPanels, MIN_SHARE, niceTicks, renderPng, renderSvg, unitLabel } from '../../../src/report/chart.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian u32 at bytes 16..23.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const time = Array.from({ length: 500 }, (_, i) => i * 0.01);
const input = {
  title: 'Damped <oscillator> & friends',
  time,
  series: [
    { name: 'x', unit: 'm', values: time.map((t) => Math.exp(-t) * Math.cos(6 * t)) },
    { name: 'v', unit: 'm/s', values: time.map((t, i) => (i % 100 === 50 ? null : -6 * Math.exp(-t) * Math.sin(6 * t))) },
  ],
};

describe('plot', () => {
  it('renders a PNG of the requested size within tens of kilobytes', () => {
    const png = renderPng(input);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    // Two units → two panels of 200 px under a 40 px title, above a 48 px time axis, 18 px apart.
    assert.deepEqual(pngSize(png), { width: 800, height: 40 + 48 + 2 * 200 + 18 });
    assert.ok(png.length > 5_000 && png.length < 150_000, `PNG is ${png.length} bytes`);
  });

  it('draws axes labels with units, a legend and an escaped title', () => {
    const svg = renderSvg(input);
    assert.match(svg, /time \(s\)/);
    // One panel per unit, each labelled with it.
    assert.match(svg, /rotate\(-90\)[^>]*>m</);
    assert.match(svg, /rotate\(-90\)[^>]*>m\/s</);
    assert.match(svg, />x \(m\)</);
    assert.match(svg, />v \(m\/s\)</);
    assert.match(svg, /Damped &lt;oscillator&gt; &amp; friends/);
    // null values break the line: v has 5 gaps, so its path has 6 "M" moves.
    const vPath = [...svg.matchAll(/<path d="([^"]+)"/g)][1]?.[1] ?? '';
    assert.equal((vPath.match(/M/g) ?? []).length, 6);
  });

  it('renders constant and empty signals without throwing', () => {
    assert.deepEqual(renderPng({ title: 'c', time: [0, 1], series: [{ name: 'c', values: [2, 2] }] }).subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(renderPng({ title: 'e', time: [0, 1], series: [{ name: 'n', values: [null, null] }] }).subarray(0, 8), PNG_SIGNATURE);
  });

  it('gives a signal 1000x smaller than another of the same unit its own panel', () => {
    const big = time.map((t) => 1000 * Math.sin(t));
    const small = time.map((t) => Math.cos(3 * t));
    const { panels } = layoutPanels({
      title: 't',
      time,
      series: [
        { name: 'big', unit: 'm', values: big },
        { name: 'small', unit: 'm', values: small },
      ],
    });
    assert.equal(panels.length, 2);
    // Comparable signals of one unit share a panel.
    const { panels: shared } = layoutPanels({
      title: 't',
      time,
      series: [
        { name: 'a', unit: 'V', values: small },
        { name: 'b', unit: 'V', values: big.map((v) => v / 500) },
      ],
    });
    assert.equal(shared.length, 1);
    for (const p of [...panels, ...shared]) {
      const range = (p.range?.hi ?? 0) - (p.range?.lo ?? 0);
      for (const m of p.series) assert.ok((m.range?.hi ?? 0) - (m.range?.lo ?? 0) >= MIN_SHARE * range);
    }
  });

  it('draws booleans as steps on a false/true axis and names dimensionless units', () => {
    const svg = renderSvg({
      title: 'b',
      time: [0, 1, 2],
      series: [
        { name: 'on', values: [0, 1, 0], boolean: true },
        { name: 'n', unit: '1', values: [1, 2, 3] },
      ],
    });
    assert.match(svg, />false</);
    assert.match(svg, />true</);
    assert.match(svg, />dimensionless</);
    assert.equal(unitLabel(''), 'dimensionless');
    // A step: from (x0, y_false) horizontally to x1, then vertically to y_true.
    const d = [...svg.matchAll(/<path d="([^"]+)"/g)][0]?.[1] ?? '';
    const pts = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]);
    assert.equal(pts.length, 5);
    assert.equal(pts[1]?.[1], pts[0]?.[1], 'horizontal first');
    assert.equal(pts[2]?.[0], pts[1]?.[0], 'then vertical');
  });

  it('chooses 1-2-5 ticks that cover the range', () => {
    assert.deepEqual(niceTicks(0, 3), [0, 1, 2, 3]);
    assert.deepEqual(niceTicks(0, 10), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(-2.3, 1.4), [-3, -2, -1, 0, 1, 2]);
    const t = niceTicks(0.001, 0.0042);
    assert.ok((t[0] as number) <= 0.001 && (t[t.length - 1] as number) >= 0.0042);
    assert.ok(niceTicks(5, 5).length >= 2, 'a constant still gets an axis');
  });
});
