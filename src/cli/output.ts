/** Small formatting helpers shared by the CLI commands (human-readable stdout, errors on stderr). */
import { isGatewayError } from '../errors.ts';
import { escapeForText, escapeForTextBlock } from '../text-escape.ts';

export function formatCliError(error: unknown): string {
  if (isGatewayError(error)) {
    const hint = typeof error.data?.hint === 'string' ? `\n  hint: ${error.data.hint}` : '';
    return escapeForTextBlock(`error [${error.code}]: ${error.message}${hint}`);
  }
  if (error instanceof Error) return `internal error: ${error.stack ?? error.message}`;
  return `internal error: ${String(error)}`;
}

/** Formats a number compactly for tables: 6 significant digits, exponent when very small or large. */
export function formatNumber(v: number | null): string {
  if (v === null) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(5);
  return String(Number(v.toPrecision(6)));
}

/** Renders rows as an aligned text table with a header. */
export function renderTable(header: readonly string[], raw: readonly (readonly string[])[]): string {
  // Cells carry FMU strings (names, units, descriptions): no terminal escapes, no extra lines.
  const rows = raw.map((r) => r.map((c) => escapeForText(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The per-output table of a completed run (final, min, max, unit), as simulate and run print it. */
export function renderSummaryTable(
  summary: Readonly<Record<string, { final: number | null; min: number | null; max: number | null; unit?: string | undefined }>>,
): string {
  const rows = Object.entries(summary).map(([name, s]) => [
    name,
    formatNumber(s.final),
    formatNumber(s.min),
    formatNumber(s.max),
    s.unit ?? '',
  ]);
  return renderTable(['output', 'final', 'min', 'max', 'unit'], rows);
}
