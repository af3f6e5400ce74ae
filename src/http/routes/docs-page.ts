/**
 * GET /docs: the API reference rendered on the server from the OpenAPI document, as plain HTML
 * and CSS (no script), so it shows in any browser at once, headless ones included, and with
 * JavaScript off. Swagger UI (try-it-out) stays at /docs/swagger.
 */
type Json = Record<string, unknown>;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Markdown as far as our descriptions use it: `code` spans; the rest escaped text. */
function md(text: unknown): string {
  if (typeof text !== 'string') return '';
  return text
    .split(/(`[^`]*`)/)
    .map((p, i) => (i % 2 === 1 ? `<code>${esc(p.slice(1, -1))}</code>` : esc(p)))
    .join('');
}

function schemaSummary(schema: unknown, depth = 0): string {
  if (typeof schema !== 'object' || schema === null || depth > 1) return '';
  const s = schema as Json;
  const props = s.properties as Record<string, Json> | undefined;
  if (props === undefined) return typeof s.type === 'string' ? `<span class="t">${esc(s.type)}</span>` : '';
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const rows = Object.entries(props)
    .map(([name, p]) => {
      const type =
        typeof p.type === 'string'
          ? p.type
          : Array.isArray(p.type)
            ? (p.type as string[]).join(' | ')
            : p.anyOf !== undefined
              ? 'one of'
              : '';
      return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td class="t">${esc(type)}</td><td>${md(p.description)}</td></tr>`;
    })
    .join('');
  return `<table class="fields"><tbody>${rows}</tbody></table>`;
}

function operation(method: string, path: string, op: Json): string {
  const secured = !(Array.isArray(op.security) && op.security.length === 0);
  const params = Array.isArray(op.parameters) ? (op.parameters as Json[]) : [];
  const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const parts: string[] = [];
  parts.push(
    `<h3 id="${esc(String(op.operationId ?? `${method}-${path}`))}"><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code>${secured ? ' <span class="lock" title="needs Authorization: Bearer &lt;key&gt;">key</span>' : ''}</h3>`,
  );
  if (op.summary !== undefined) parts.push(`<p class="sum">${md(op.summary)}</p>`);
  if (op.description !== undefined) parts.push(`<p>${md(op.description)}</p>`);
  if (params.length > 0) {
    parts.push(
      `<table class="fields"><thead><tr><th>parameter</th><th>in</th><th></th></tr></thead><tbody>${params
        .map(
          (p) =>
            `<tr><td><code>${esc(String(p.name))}</code></td><td class="t">${esc(String(p.in))}</td><td>${md(p.description ?? (p.schema as Json | undefined)?.description)}</td></tr>`,
        )
        .join('')}</tbody></table>`,
    );
  }
  for (const [type, c] of Object.entries(body ?? {})) {
    parts.push(`<p class="label">Request body <code>${esc(type)}</code></p>${schemaSummary(c.schema)}`);
    if (c.example !== undefined) parts.push(`<pre>${esc(JSON.stringify(c.example, null, 2))}</pre>`);
  }
  parts.push(
    `<ul class="responses">${Object.entries(responses)
      .map(([status, r]) => {
        const headers = r.headers === undefined ? '' : ` <span class="t">headers: ${esc(Object.keys(r.headers as Json).join(', '))}</span>`;
        return `<li><b class="s${status[0] ?? ''}">${esc(status)}</b> ${md(r.description)}${headers}</li>`;
      })
      .join('')}</ul>`,
  );
  return `<section class="op">${parts.join('\n')}</section>`;
}

export function renderDocsPage(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || op === null || !['get', 'post', 'put', 'delete', 'patch', 'head'].includes(method)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'other';
      const list = byTag.get(tag) ?? [];
      list.push(operation(method, path, op));
      byTag.set(tag, list);
    }
  }
  const toc = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  const sections = [...byTag.entries()].map(([t, ops]) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>\n${ops.join('\n')}`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title ?? 'API'))} — API reference</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:24px;color:#1b1f24;background:#fff}
h1{margin:0 0 4px}h2{margin-top:40px;border-bottom:2px solid #d0d7de;padding-bottom:4px}h3{margin:0 0 6px;font-size:16px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}code{background:#f3f4f6;padding:1px 4px;border-radius:4px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px;overflow:auto}
.op{border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:14px 0}
.m{display:inline-block;min-width:52px;text-align:center;color:#fff;border-radius:4px;padding:1px 6px;font-size:13px}
.get{background:#0969da}.post{background:#1a7f37}.put,.patch{background:#9a6700}.delete{background:#cf222e}.head{background:#6e7781}
.lock{font-size:12px;border:1px solid #9a6700;color:#9a6700;border-radius:4px;padding:0 5px}
.sum{font-weight:600;margin:4px 0}.label{font-weight:600;margin-bottom:2px}.t{color:#57606a;font-size:13px}.req{color:#cf222e;font-size:12px}
table.fields{border-collapse:collapse;width:100%;margin:6px 0}table.fields td,table.fields th{border-top:1px solid #eaeef2;padding:3px 6px;text-align:left;vertical-align:top}
ul.responses{margin:6px 0;padding-left:18px}.s2{color:#1a7f37}.s4{color:#cf222e}.s5{color:#8250df}
</style></head><body>
<h1>${esc(String(info.title ?? 'API'))} <span class="t">${esc(String(info.version ?? ''))}</span></h1>
<p>${md(info.description)}</p>
<p class="t">Machine-readable: <a href="/openapi.json">/openapi.json</a> · Try the calls in Swagger UI: <a href="/docs/swagger">/docs/swagger</a></p>
<nav>${toc}</nav>
${sections}
</body></html>`;
}
