/**
 * Builds the MCP App chart (src/mcp/app/chart.ts + the ext-apps App class) into ONE self-contained
 * HTML file, build/app/chart.html, served as the ui:// resource of simulate / sweep / compare_runs.
 * Everything is inline (script and style), so the page's CSP can forbid every outside origin.
 * `--if-possible` (postinstall) skips quietly when ext-apps (an optional dependency) is absent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const APP_HTML = join(ROOT, 'build', 'app', 'chart.html');

/** No outside origin for anything; inline script/style only (the page is one file). */
export const APP_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; font-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `
body { font: 13px system-ui, sans-serif; margin: 8px; color: #222; background: #fff; }
h1 { font-size: 14px; margin: 0 0 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin-bottom: 6px; }
.legend label { cursor: pointer; user-select: none; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px; }
.panel { display: block; margin-bottom: 4px; cursor: crosshair; }
.frame { fill: none; stroke: #ccc; }
.tick, .unit { font-size: 10px; fill: #555; }
.tip { font-size: 11px; fill: #000; }
.event { stroke: #999; stroke-dasharray: 3 3; }
.cursor { stroke: #444; stroke-width: 0.5; }
.band { fill: rgba(31, 119, 180, 0.15); }
#status { color: #666; font-size: 11px; }
`;

export async function buildApp(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'mcp', 'app', 'chart.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
  });
  // A "</script" inside the bundle would end the inline script early.
  const js = (out.outputFiles[0]?.text ?? '').replace(/<\/script/gi, '<\\/script');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${APP_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FMU Gateway chart</title><style>${STYLE}</style></head>
<body><div id="status">Waiting for a result…</div><div id="chart"></div>
<script>${js}</script></body></html>
`;
  mkdirSync(dirname(APP_HTML), { recursive: true });
  writeFileSync(APP_HTML, html);
  return APP_HTML;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const file = await buildApp();
    process.stderr.write(`mcp app: ${file}\n`);
  } catch (e) {
    if (process.argv.includes('--if-possible')) process.stderr.write(`mcp app not built: ${e instanceof Error ? e.message : String(e)}\n`);
    else throw e;
  }
}
