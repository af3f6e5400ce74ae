import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { MCP_PLOT_SIZE, renderPng, renderSvg, type PlotInput } from '../../../src/report/chart.ts';
import { encodeIndexedPng } from '../../../src/report/png.ts';
import { decodePng } from '../../helpers/png-pixels.ts';

const time = Array.from({ length: 20_000 }, (_, i) => i * 0.00025);
/** A busy chart: a fast oscillation, a smooth signal, a counter and a Boolean, four panels. */
const busy: PlotInput = {
  title: 'A busy chart',
  time,
  series: [
    { name: 'x', unit: 'm', values: time.map((t) => Math.exp(-t) * Math.cos(60 * t)) },
    { name: 'v', unit: 'm/s', values: time.map((t) => -6 * Math.exp(-t) * Math.sin(6 * t)) },
    { name: 'n', step: true, values: time.map((t) => Math.floor(t * 3)) },
    { name: 'b', boolean: true, values: time.map((t) => Math.floor(t * 2) % 2) },
  ],
};

describe('palette PNG', () => {
  it('shows the same picture as the true-color rendering', () => {
    const image = new Resvg(renderSvg(busy), { font: { loadSystemFonts: true } }).render();
    const truecolor = decodePng(image.asPng());
    const indexed = decodePng(encodeIndexedPng(image.width, image.height, image.pixels));
    assert.equal(indexed.width, truecolor.width);
    let off = 0;
    for (let y = 0; y < truecolor.height; y += 2)
      for (let x = 0; x < truecolor.width; x += 2) {
        const a = truecolor.rgb(x, y);
        const b = indexed.rgb(x, y);
        if (Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2])) > 24) off++;
      }
    assert.ok(off < (truecolor.width * truecolor.height) / 4 / 1000, `${off} sampled pixels differ visibly`);
  });

  it('keeps an MCP-size plot under 18 KB (25,000 characters of base64 with room to spare)', () => {
    const png = renderPng({ ...busy, ...MCP_PLOT_SIZE });
    assert.equal(decodePng(png).width, MCP_PLOT_SIZE.width);
    assert.ok(png.length <= 18_000, `${png.length} bytes`);
    assert.ok(png.toString('base64').length <= 25_000);
    const full = new Resvg(renderSvg(busy), { font: { loadSystemFonts: true } }).render().asPng();
    assert.ok(renderPng(busy).length < full.length / 2, 'a palette PNG is less than half the true-color one');
  });

  it('honours width and height', () => {
    const png = decodePng(renderPng({ ...busy, width: 500, height: 400 }));
    assert.deepEqual([png.width, png.height], [500, 400]);
  });
});
