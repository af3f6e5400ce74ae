/**
 * The agent's context budget (issue 21): what the MCP face costs an agent per session and per call.
 * - tools/list ≤ 8,000 characters with payments off (no payment tool, argument or status listed),
 *   ≤ 11,000 with payments on;
 * - a plot in a result ≤ 25,000 characters, and the same runs are not plotted twice (sweep, then
 *   compare_runs over its runs);
 * - an error's message and hint once, in one text block;
 * - resources/list in bounded pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startStdioGateway, type StdioGateway } from './mcp-harness.ts';

const TOOLS_LIST_BUDGET_FREE = 8_000;
const TOOLS_LIST_BUDGET_PAID = 11_000;
const PLOT_BUDGET = 25_000;

const texts = (r: unknown): string[] =>
  ((r as CallToolResult).content as { type: string; text?: string }[]).filter((c) => c.type === 'text').map((c) => c.text ?? '');
const images = (r: unknown): string[] =>
  ((r as CallToolResult).content as { type: string; data?: string }[]).filter((c) => c.type === 'image').map((c) => c.data ?? '');

describe('context budget, payments off', () => {
  let gw: StdioGateway;
  before(async () => {
    gw = await startStdioGateway();
  });
  after(async () => {
    await gw?.close();
  });

  it(`tools/list takes at most ${TOOLS_LIST_BUDGET_FREE} characters and lists nothing about payment`, async () => {
    const list = await gw.client.listTools();
    const chars = JSON.stringify(list).length;
    assert.ok(chars <= TOOLS_LIST_BUDGET_FREE, `tools/list is ${chars} characters`);
    const names = list.tools.map((t) => t.name);
    assert.ok(names.includes('simulate') && names.includes('sweep'), names.join(', '));
    assert.ok(!names.includes('quote') && !names.includes('redeem_checkout'));
    assert.doesNotMatch(JSON.stringify(list), /payment/);
  });

  it('keeps a plot within 25,000 characters, and does not send the plot of the same runs twice', async () => {
    const sim = await gw.client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, plot: true } });
    // Inline within the budget, or left out with a note saying why (never a larger image).
    const simImages = images(sim);
    for (const img of simImages) assert.ok(img.length <= PLOT_BUDGET, `the plot is ${img.length} characters`);
    if (simImages.length === 0) assert.match(texts(sim).join('\n'), /Plot left out: \d+ characters/);

    const sweep = await gw.client.callTool({
      name: 'sweep',
      arguments: { fmu_id: 'msl:BouncingBall', stop_time: 2, parameters: [{ name: 'e', values: [0.5, 0.8] }], plot: true },
    });
    const runIds = (sweep.structuredContent as { runs: { run_id: string }[] }).runs.map((r) => r.run_id);
    assert.equal(runIds.length, 2);
    for (const img of images(sweep)) assert.ok(img.length <= PLOT_BUDGET, `the sweep plot is ${img.length} characters`);
    const sweepPlotted = images(sweep).length;

    const cmp = await gw.client.callTool({ name: 'compare_runs', arguments: { run_ids: runIds, plot: true } });
    assert.notEqual(cmp.isError, true, texts(cmp).join('\n'));
    if (sweepPlotted === 1) {
      assert.equal(images(cmp).length, 0, 'compare_runs does not repeat the sweep plot of the same runs');
      assert.match(texts(cmp).join('\n'), /plotted by sweep/);
    }
    // Other runs: plotted (the detector above is not simply "never plot").
    const other = await gw.client.callTool({
      name: 'sweep',
      arguments: { fmu_id: 'msl:BouncingBall', stop_time: 1, parameters: [{ name: 'e', values: [0.6, 0.7] }] },
    });
    const otherIds = (other.structuredContent as { runs: { run_id: string }[] }).runs.map((r) => r.run_id);
    const cmp2 = await gw.client.callTool({ name: 'compare_runs', arguments: { run_ids: otherIds, plot: true } });
    assert.doesNotMatch(texts(cmp2).join('\n'), /plotted by/, 'compare_runs plots runs no chart has shown yet');
    assert.ok(images(cmp2).length === 1 || /Plot left out/.test(texts(cmp2).join('\n')));
  });

  it('writes an error message and hint once, in one text block', async () => {
    const r = await gw.client.callTool({
      name: 'simulate',
      arguments: { fmu_id: 'msl:BouncingBall', stop_time: 1, start_values: { elasticity: 0.5 } },
    });
    assert.equal(r.isError, true);
    const t = texts(r);
    assert.equal(t.length, 1);
    const { message, hint } = (r.structuredContent as { error: { message: string; hint?: string } }).error;
    assert.equal((t[0] ?? '').split(message).length, 2, 'the message appears once');
    if (hint !== undefined) assert.equal((t[0] ?? '').split(hint).length, 2, 'the hint appears once');
  });

  it('serves resources/list in pages of at most 20, with a cursor to the next', async () => {
    const first = await gw.client.listResources();
    assert.ok(first.resources.length <= 20 && first.resources.length > 0, `${first.resources.length} resources`);
    const seen = new Set(first.resources.map((r) => r.uri));
    let cursor = first.nextCursor;
    let pages = 1;
    while (cursor !== undefined && pages < 20) {
      const page = await gw.client.listResources({ cursor });
      assert.ok(page.resources.length <= 20);
      for (const r of page.resources) {
        assert.ok(!seen.has(r.uri), `${r.uri} listed twice`);
        seen.add(r.uri);
      }
      cursor = page.nextCursor;
      pages++;
    }
    assert.equal(cursor, undefined, 'the pages end');
    // The 13 built-in models are all listed across the pages (paging loses nothing).
    assert.ok([...seen].filter((u) => u.startsWith('fmu-gateway://library/')).length >= 13);
    await assert.rejects(gw.client.listResources({ cursor: 'not-a-cursor' }), /cursor/i);
  });
});

describe('context budget, payments on', () => {
  let gw: StdioGateway;
  before(async () => {
    gw = await startStdioGateway({ STRIPE_ENABLED: 'true', STRIPE_SECRET_KEY: 'sk_test_budget', STRIPE_WEBHOOK_SECRET: 'whsec_budget' });
  });
  after(async () => {
    await gw?.close();
  });

  it(`tools/list takes at most ${TOOLS_LIST_BUDGET_PAID} characters, with the payment tools`, async () => {
    const list = await gw.client.listTools();
    const chars = JSON.stringify(list).length;
    assert.ok(chars <= TOOLS_LIST_BUDGET_PAID, `tools/list is ${chars} characters`);
    const names = list.tools.map((t) => t.name);
    assert.ok(names.includes('quote') && names.includes('redeem_checkout'), names.join(', '));
    const sim = list.tools.find((t) => t.name === 'simulate');
    assert.ok('payment_token' in ((sim?.inputSchema.properties ?? {}) as object));
    assert.deepEqual((sim?.outputSchema?.properties as { status?: { enum?: string[] } } | undefined)?.status?.enum, [
      'completed',
      'payment_required',
      'error',
    ]);
  });
});
