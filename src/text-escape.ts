/**
 * Strings from an FMU (variable names, descriptions, units, log lines) reach terminals, MCP text
 * blocks and log files. A name carrying ESC [ ... could repaint a terminal, a newline could forge
 * a log line or a table row, a bidi override could make "x_max" display as something else.
 * Every text output passes such strings through `escapeForText`; JSON outputs do not need it
 * (JSON.stringify escapes control characters itself) and keep the exact value.
 */

// C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, BOM.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `s` with every control / bidi character written as a visible escape (\n, \u001b), optionally cut to `maxChars`. */
export function escapeForText(s: string, maxChars?: number): string {
  const cut = maxChars !== undefined && s.length > maxChars ? `${s.slice(0, maxChars)}…` : s;
  return cut.replace(UNSAFE, escapeChar);
}

// The same set minus the line feed: for multi-line text blocks composed by us.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_IN_BLOCK = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * For a whole multi-line text block (an MCP text result, a CLI error): keeps its line feeds,
 * escapes everything else. Single FMU strings inside it are escaped with escapeForText where they
 * are interpolated, so they cannot add lines either; this is the backstop for the rest.
 */
export function escapeForTextBlock(s: string): string {
  return s.replace(UNSAFE_IN_BLOCK, escapeChar);
}

/** True when `s` would be changed by escapeForText (cheap check for hot paths). */
export function needsEscape(s: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(s);
  UNSAFE.lastIndex = 0;
  return found;
}
