/**
 * The MCP App chart, end to end: simulate names the ui:// resource in `_meta.ui.resourceUri`; the
 * resource is one self-contained HTML page (text/html;profile=mcp-app, a CSP allowing no outside
 * origin, no external script or style); loaded in headless Chromium inside a minimal host that
 * speaks the App bridge's postMessage protocol (ui/initialize, then the tool result), it draws one
 * SVG panel per unit with the series names, and fetches the full result through get_result over
 * the bridge (more points than the inline series).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { prerequisite } from '../helpers/prereq.ts';
import { ROOT, startStdioGateway, type StdioGateway } from './mcp-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const APP_URI = 'ui://fmu-gateway/chart.html';
const skip =
  prerequisite('chromium', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not installed`) ||
  prerequisite(
    'chart app',
    existsSync(join(ROOT, 'build', 'app', 'chart.html')) ? undefined : 'build/app/chart.html not built (npm run build)',
  );

/** A host page: iframes the App (srcdoc), answers its bridge requests, then copies what it drew into #out. */
function hostPage(appHtml: string, toolResult: unknown, getResult: Record<string, unknown>): string {
  return `<!doctype html><html><body><iframe id="f" width="900" height="1200"></iframe><pre id="out">pending</pre>
<script>
const f = document.getElementById('f');
const answers = ${JSON.stringify(getResult)};
const calls = [];
window.addEventListener('message', (ev) => {
  const m = ev.data;
  if (!m || m.jsonrpc !== '2.0' || ev.source !== f.contentWindow) return;
  const reply = (result) => f.contentWindow.postMessage({ jsonrpc: '2.0', id: m.id, result }, '*');
  if (m.method === 'ui/initialize') {
    reply({ protocolVersion: m.params.protocolVersion, hostInfo: { name: 'test-host', version: '0' }, hostCapabilities: { serverTools: {} }, hostContext: {} });
  } else if (m.method === 'ui/notifications/initialized') {
    f.contentWindow.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: ${JSON.stringify(toolResult)} }, '*');
  } else if (m.method === 'tools/call') {
    calls.push(m.params);
    reply(answers[m.params.arguments.run_id] || { content: [{ type: 'text', text: 'unknown run' }], isError: true });
  } else if (m.id !== undefined) {
    reply({});
  }
});
f.srcdoc = ${JSON.stringify(appHtml).replace(/<\/script/gi, '<\\/script')};
setTimeout(() => {
  const d = f.contentDocument;
  document.getElementById('out').textContent = JSON.stringify({
    panels: [...d.querySelectorAll('svg.panel')].map((s) => s.getAttribute('data-unit')),
    series: [...d.querySelectorAll('path[data-series]')].map((p) => ({ name: p.getAttribute('data-series'), segments: (p.getAttribute('d').match(/L/g) || []).length })),
    legend: d.querySelector('.legend') ? d.querySelector('.legend').textContent : '',
    status: d.getElementById('status').textContent,
    calls,
  });
}, 4000);
</script></body></html>`;
}

describe('MCP App chart in headless Chromium', { skip }, () => {
  let gw: StdioGateway;
  let dir: string;
  before(async () => {
    gw = await startStdioGateway();
    dir = mkdtempSync(join(tmpdir(), 'fmu-gw-app-'));
  });
  after(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares the app on simulate and serves it as one self-contained page with a strict CSP', async () => {
    const { tools } = await gw.client.listTools();
    for (const name of ['simulate', 'sweep', 'compare_runs'])
      assert.equal((tools.find((t) => t.name === name)?._meta as { ui?: { resourceUri?: string } })?.ui?.resourceUri, APP_URI);
    const read = await gw.client.readResource({ uri: APP_URI });
    const content = read.contents[0] as { mimeType?: string; text?: string; _meta?: { ui?: { csp?: Record<string, unknown[]> } } };
    assert.equal(content.mimeType, 'text/html;profile=mcp-app');
    const html = content.text ?? '';
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import/i, 'nothing loaded from elsewhere');
    for (const list of Object.values(content._meta?.ui?.csp ?? {})) assert.deepEqual(list, []);
  });

  it('draws the result: one panel per unit, the series named, the full result fetched through get_result', async () => {
    const sim = (await gw.client.callTool({
      name: 'simulate',
      arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3, step: 0.01, outputs: ['h', 'v'] },
    })) as CallToolResult;
    const sc = sim.structuredContent as { run_id: string; rows: number; series: { time: number[] } };
    assert.ok(sc.series.time.length <= 50 && sc.rows === 301);
    // What get_result answers the App (its arguments as the App sends them: json, stride 1 here).
    const full = await gw.client.callTool({
      name: 'get_result',
      arguments: { run_id: sc.run_id, format: 'json', max_rows: 5000, stride: 1 },
    });
    const appHtml = (await gw.client.readResource({ uri: APP_URI })).contents[0] as { text: string };
    const host = join(dir, 'host.html');
    writeFileSync(host, hostPage(appHtml.text, sim, { [sc.run_id]: full }));
    const { stdout } = await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--allow-file-access-from-files',
        '--virtual-time-budget=15000',
        '--dump-dom',
        `file://${host}`,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const out = /<pre id="out">([^<]*)<\/pre>/.exec(stdout)?.[1] ?? '';
    assert.notEqual(out, 'pending', 'the host page ran its check');
    const drawn = JSON.parse(
      out
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>'),
    ) as {
      panels: string[];
      series: { name: string; segments: number }[];
      legend: string;
      calls: { name: string; arguments: { run_id: string } }[];
    };
    // h [m] and v [m/s]: two units, two panels.
    assert.deepEqual([...drawn.panels].sort(), ['m', 'm/s']);
    assert.deepEqual(drawn.series.map((s) => s.name).sort(), ['h', 'v']);
    assert.match(drawn.legend, /h \[m\]/);
    assert.equal(drawn.calls[0]?.name, 'get_result');
    assert.equal(drawn.calls[0]?.arguments.run_id, sc.run_id);
    // Drawn from the full result (301 rows), not from the 50-point inline series.
    for (const s of drawn.series) assert.ok(s.segments >= 250, `${s.name}: ${s.segments} segments`);
  });
});
