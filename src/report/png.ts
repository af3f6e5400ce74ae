/**
 * A palette (indexed-color) PNG encoder for charts. A chart has a few flat colors (white, grid
 * gray, text, up to ten series colors) plus the anti-aliased shades between them; an 8-bit
 * palette of the most frequent colors holds them with no visible loss, and one byte per pixel of
 * long runs deflates to a third of resvg's true-color PNG. That is what keeps a plot inside an
 * agent's context budget (MCP: ≤ 25,000 characters of base64).
 *
 * Quantization: every color is kept exactly when there are at most 256; otherwise colors are
 * binned at 4 bits per channel, the 256 fullest bins become the palette (each its bin's mean
 * color), and every pixel takes the palette entry nearest its bin.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)) >>> 0, 8 + data.byteLength);
  return out;
}

/** RGB of pixel i of an RGBA buffer, composited over white (charts are opaque; this only guards). */
function rgbAt(rgba: Uint8Array, i: number): number {
  const a = rgba[i * 4 + 3] as number;
  let r = rgba[i * 4] as number;
  let g = rgba[i * 4 + 1] as number;
  let b = rgba[i * 4 + 2] as number;
  if (a !== 255) {
    r = Math.round((r * a + 255 * (255 - a)) / 255);
    g = Math.round((g * a + 255 * (255 - a)) / 255);
    b = Math.round((b * a + 255 * (255 - a)) / 255);
  }
  return (r << 16) | (g << 8) | b;
}

/** The palette (RGB triples) and each pixel's index into it. */
export function quantize(width: number, height: number, rgba: Uint8Array): { palette: number[]; indexes: Uint8Array } {
  const n = width * height;
  const colors = new Uint32Array(n);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = rgbAt(rgba, i);
    colors[i] = c;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const indexes = new Uint8Array(n);
  if (counts.size <= 256) {
    const palette = [...counts.keys()];
    const at = new Map(palette.map((c, k) => [c, k]));
    for (let i = 0; i < n; i++) indexes[i] = at.get(colors[i] as number) as number;
    return { palette, indexes };
  }
  // Bins of 4 bits per channel; the fullest 256 become the palette.
  const bin = (c: number): number => ((c >> 12) & 0xf00) | ((c >> 8) & 0xf0) | ((c >> 4) & 0xf);
  const sums = new Float64Array(4096 * 4);
  for (const [c, k] of counts) {
    const b = bin(c) * 4;
    sums[b] = (sums[b] as number) + k;
    sums[b + 1] = (sums[b + 1] as number) + k * ((c >> 16) & 0xff);
    sums[b + 2] = (sums[b + 2] as number) + k * ((c >> 8) & 0xff);
    sums[b + 3] = (sums[b + 3] as number) + k * (c & 0xff);
  }
  const used = [...Array(4096).keys()]
    .filter((b) => (sums[b * 4] as number) > 0)
    .sort((x, y) => (sums[y * 4] as number) - (sums[x * 4] as number));
  const chosen = used.slice(0, 256);
  const palette = chosen.map((b) => {
    const k = sums[b * 4] as number;
    const r = Math.round((sums[b * 4 + 1] as number) / k);
    const g = Math.round((sums[b * 4 + 2] as number) / k);
    const bl = Math.round((sums[b * 4 + 3] as number) / k);
    return (r << 16) | (g << 8) | bl;
  });
  const nearest = new Int16Array(4096).fill(-1);
  const nearestOf = (b: number): number => {
    let best = nearest[b] as number;
    if (best >= 0) return best;
    const r = ((b >> 8) & 0xf) * 17;
    const g = ((b >> 4) & 0xf) * 17;
    const bl = (b & 0xf) * 17;
    let bestD = Infinity;
    palette.forEach((p, k) => {
      const d = (((p >> 16) & 0xff) - r) ** 2 + (((p >> 8) & 0xff) - g) ** 2 + ((p & 0xff) - bl) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    nearest[b] = best;
    return best;
  };
  for (let i = 0; i < n; i++) indexes[i] = nearestOf(bin(colors[i] as number));
  return { palette, indexes };
}

/** An RGBA image (resvg's pixels) as an 8-bit (or 4-bit, for ≤ 16 colors) palette PNG. */
export function encodeIndexedPng(width: number, height: number, rgba: Uint8Array): Buffer {
  const { palette, indexes } = quantize(width, height, rgba);
  const depth = palette.length <= 16 ? 4 : 8;
  const rowBytes = depth === 8 ? width : Math.ceil(width / 2);
  // Filter type 0 on every row: the recommended choice for palette images.
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (rowBytes + 1) + 1;
    const row = indexes.subarray(y * width, (y + 1) * width);
    if (depth === 8) raw.set(row, at);
    else for (let x = 0; x < width; x++) raw[at + (x >> 1)] = (raw[at + (x >> 1)] as number) | ((row[x] as number) << (x & 1 ? 0 : 4));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = 3; // indexed color
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, k) => {
    plte[k * 3] = (c >> 16) & 0xff;
    plte[k * 3 + 1] = (c >> 8) & 0xff;
    plte[k * 3 + 2] = c & 0xff;
  });
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
