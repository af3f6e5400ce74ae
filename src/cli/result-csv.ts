/** Reads a result CSV written by the run store back into columns (numbers, or strings where not numeric). */

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function toValue(text: string): number | string {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}

export function parseResultCsv(text: string): Record<string, (number | string)[]> {
  const lines = text.split('\n').filter((l) => l !== '');
  const header = splitCsvLine(lines[0] ?? '');
  const columns: Record<string, (number | string)[]> = {};
  for (const h of header) columns[h] = [];
  for (let r = 1; r < lines.length; r++) {
    const cells = splitCsvLine(lines[r] as string);
    header.forEach((h, i) => columns[h]?.push(toValue(cells[i] ?? '')));
  }
  return columns;
}
