/**
 * Result files and plots over MCP (stdio, the real CLI): get_result with format mat / parquet /
 * arrow links the whole run as a file, resources/read returns its bytes (a MAT v4 file SciPy-like
 * readers recognise by its first matrix, a Parquet file by its magic); simulate's plot is a
 * compact palette PNG within the context budget (≤ 25,000 characters of base64).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStdioGateway, type StdioGateway } from './mcp-harness.ts';

let gw: StdioGateway;
before(async () => {
  gw = await startStdioGateway();
});
after(async () => {
  await gw?.close();
});

/** The machine is shared: a cold start (the CLI through tsx, the first wasm load) can take a while. */
const SLOW = { timeout: 300_000 };

interface Block {
  type: string;
  uri?: string;
  mimeType?: string;
  data?: string;
}

describe('result files and plots over MCP', { timeout: 400_000 }, () => {
  it('get_result format mat/parquet/arrow links the run as a file that resources/read returns', async () => {
    const sim = await gw.client.callTool(
      { name: 'simulate', arguments: { fmu_id: 'msl:QuarterCar', stop_time: 3, plot: true } },
      undefined,
      SLOW,
    );
    assert.notEqual(sim.isError, true, JSON.stringify(sim).slice(0, 400));
    const runId = (sim.structuredContent as { run_id: string }).run_id;
    const image = (sim.content as Block[]).find((b) => b.type === 'image');
    assert.ok(image?.data !== undefined, 'a plot');
    assert.ok(image.data.length <= 25_000, `plot is ${image.data.length} characters of base64`);
    const png = Buffer.from(image.data, 'base64');
    assert.equal(png.readUInt32BE(16), 640, 'the compact MCP width');
    assert.equal(png[25], 3, 'a palette (indexed-color) PNG');

    const magic = { mat: [20, 'Aclass'], parquet: [0, 'PAR1'], arrow: [0, 'ARROW1'] } as const;
    for (const format of ['mat', 'parquet', 'arrow'] as const) {
      const r = await gw.client.callTool({ name: 'get_result', arguments: { run_id: runId, format } }, undefined, SLOW);
      assert.notEqual(r.isError, true, JSON.stringify(r).slice(0, 400));
      const s = r.structuredContent as { resource_uri: string; total_rows: number };
      assert.equal(s.resource_uri, `fmu-gateway://runs/${runId}/result.${format}`);
      assert.ok(s.total_rows > 1000);
      const link = (r.content as Block[]).find((b) => b.type === 'resource_link');
      assert.equal(link?.uri, s.resource_uri);
      const read = await gw.client.readResource({ uri: s.resource_uri }, SLOW);
      const content = read.contents[0] as { blob?: string; mimeType?: string };
      assert.ok(content.blob !== undefined, 'binary contents');
      const bytes = Buffer.from(content.blob, 'base64');
      const [at, text] = magic[format];
      assert.equal(bytes.toString('latin1', at, at + text.length), text, format);
      assert.equal(content.mimeType, link?.mimeType);
    }
  });

  it('refuses an unknown run with NOT_FOUND, for the tool and the resource', async () => {
    const r = await gw.client.callTool({ name: 'get_result', arguments: { run_id: 'rmq1abcd-0123456789ab', format: 'mat' } });
    assert.equal(r.isError, true);
    assert.equal((r.structuredContent as { error: { code: string } }).error.code, 'NOT_FOUND');
    await assert.rejects(gw.client.readResource({ uri: 'fmu-gateway://runs/rmq1abcd-0123456789ab/result.parquet' }));
  });
});
