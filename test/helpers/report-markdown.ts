/**
 * Reading report.md back in tests, written independently of src/report/markdown.ts and
 * src/report/format.ts: the tables by the heading above them, and the rule numbers are shown by.
 */

/** The rule the brief prints numbers by: 6 significant digits, no float noise; "–" for no value. */
export const shown = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(6))));

export interface MarkdownTable {
  header: string[];
  rows: string[][];
}

/** Markdown tables by the heading above them (the first table under each heading): header and rows of unescaped cell text. */
export function markdownTables(md: string): Map<string, MarkdownTable> {
  const out = new Map<string, MarkdownTable>();
  const lines = md.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (!line.startsWith('| ') || out.has(heading)) continue;
    const cells = (l: string) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.trim().replace(/\\(.)/g, '$1'));
    const header = cells(line);
    const rows: string[][] = [];
    for (let j = i + 2; j < lines.length && (lines[j] as string).startsWith('| '); j++) rows.push(cells(lines[j] as string));
    out.set(heading, { header, rows });
  }
  return out;
}
