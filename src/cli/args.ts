/**
 * Parsing of the CLI's value arguments: `--set name=value` (FMI 3 arrays as `[[1,2],[3,4]]`) and `--input in.csv`.
 * Values become the same shapes the service schemas take (start_values, input_signals).
 */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../errors.ts';

export type CliValue = number | boolean | string;

/**
 * "3.5" → 3.5, "true"/"false" → boolean, an integer beyond 2^53 → its digits as a string (exact
 * for Int64/UInt64; a number would round), anything else (or "quoted") → string.
 */
export function parseCliValue(text: string): CliValue {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^".*"$/.test(t) || /^'.*'$/.test(t)) return t.slice(1, -1);
  if (/^[-+]?\d+$/.test(t) && !Number.isSafeInteger(Number(t))) return t;
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return text;
}

/** A --set value: a scalar, or for an FMI 3 array variable a (nested) array of scalars. */
export type CliSetValue = CliValue | CliSetValue[];

const badArray = (text: string, why: string): GatewayError =>
  new GatewayError('BAD_REQUEST', `--set: "${text.slice(0, 200)}" is not an array value (${why})`, {
    hint: 'Write an FMI 3 array as --set \'A=[[-1,0],[0,-2]]\' (nested, row-major) or --set \'v=[1,2,3]\'; quote strings inside: ["a","b"].',
  });

/**
 * "[[-1,0],[0,-2]]" → [[-1, 0], [0, -2]]: brackets, commas and scalars read as parseCliValue reads
 * them (so an Int64 beyond 2^53 keeps its digits, "true" is a Boolean, "a,b" in quotes a string).
 * Not JSON.parse, which would round 64-bit integers.
 */
export function parseArrayValue(text: string): CliSetValue[] {
  const t = text.trim();
  let i = 0;
  const skip = () => {
    while (t[i] === ' ' || t[i] === '\t') i++;
  };
  const scalar = (): CliValue => {
    skip();
    const q = t[i];
    if (q === '"' || q === "'") {
      const end = t.indexOf(q, i + 1);
      if (end < 0) throw badArray(t, 'an unterminated quote');
      const v = t.slice(i + 1, end);
      i = end + 1;
      return v;
    }
    const start = i;
    while (i < t.length && t[i] !== ',' && t[i] !== ']' && t[i] !== '[') i++;
    const raw = t.slice(start, i).trim();
    if (raw === '') throw badArray(t, `an empty element at position ${start + 1}`);
    return parseCliValue(raw);
  };
  const list = (depth: number): CliSetValue[] => {
    if (depth > 3) throw badArray(t, 'more than 3 levels of nesting');
    i++; // the "["
    const out: CliSetValue[] = [];
    skip();
    if (t[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      skip();
      out.push(t[i] === '[' ? list(depth + 1) : scalar());
      skip();
      if (t[i] === ',') {
        i++;
        continue;
      }
      if (t[i] === ']') {
        i++;
        return out;
      }
      throw badArray(t, i >= t.length ? 'a missing "]"' : `unexpected "${t[i]}" at position ${i + 1}`);
    }
  };
  if (t[0] !== '[') throw badArray(t, 'it does not start with "["');
  const value = list(1);
  skip();
  if (i !== t.length) throw badArray(t, `text after the closing "]" at position ${i + 1}`);
  return value;
}

/** One --set value: an array literal when it starts with "[", else a scalar (parseCliValue). */
export function parseSetValue(text: string): CliSetValue {
  return text.trim().startsWith('[') ? parseArrayValue(text) : parseCliValue(text);
}

/** Parses repeated `name=value` pairs into a record; a missing "=" is a usage error. */
export function parseSetValues(pairs: readonly string[]): Record<string, CliSetValue> {
  const out: Record<string, CliSetValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new GatewayError('BAD_REQUEST', `--set expects name=value, got "${pair}"`, {
        hint: 'Write for example --set k=2.5 or --set enabled=true',
      });
    }
    out[pair.slice(0, eq).trim()] = parseSetValue(pair.slice(eq + 1));
  }
  return out;
}

export interface CliInputSignal {
  name: string;
  time: number[];
  values: (number | boolean | string)[];
}

interface CsvCell {
  text: string;
  quoted: boolean;
}

/** One CSV record: fields split at `sep` outside double quotes; "" inside quotes is a quote. */
export function splitCsvRecord(line: string, sep: string): CsvCell[] | string {
  const cells: CsvCell[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) return 'a quoted field is not closed';
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += line[i];
        i++;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== sep) return `unexpected text after the quoted field "${text}"`;
      cells.push({ text, quoted: true });
    } else {
      const next = line.indexOf(sep, i);
      const raw = next < 0 ? line.slice(i) : line.slice(i, next);
      if (raw.includes('"')) return `a quote inside the unquoted field ${raw.trim()}; quote the whole field`;
      cells.push({ text: raw.trim(), quoted: false });
      i = next < 0 ? line.length : next;
    }
    if (i >= line.length) return cells;
    i++; // the separator
  }
}

/**
 * An input cell's value: quoted cells stay strings (the engine converts them for numeric inputs),
 * true/false become booleans, integers beyond 2^53 stay decimal strings (exact Int64/UInt64),
 * other numbers are numbers, and any other text is a string (String inputs).
 */
function cellValue(cell: CsvCell): number | boolean | string | undefined {
  if (cell.quoted) return cell.text;
  const t = cell.text;
  if (t === '') return undefined;
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^[-+]?\d+$/.test(t) && !Number.isSafeInteger(Number(t))) return t;
  const v = Number(t);
  return Number.isFinite(v) ? v : t;
}

/**
 * Reads an input table: a header `time,<input1>,<input2>…` and one row per sample,
 * comma- or semicolon-separated, fields optionally in double quotes; `#` lines are comments.
 * Each column becomes one input signal; its cells may be numbers, true/false, or text
 * (String inputs, exact 64-bit integers).
 */
export function parseInputCsv(path: string): CliInputSignal[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GatewayError('INVALID_INPUT_SIGNAL', `Cannot read input file ${path}: ${(e as Error).message}`);
  }
  const fail = (message: string): never => {
    throw new GatewayError('INVALID_INPUT_SIGNAL', `Input file ${path}, ${message}`);
  };
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l, i) => ({ line: l.trim(), number: i + 1 }))
    .filter((l) => l.line !== '' && !l.line.startsWith('#'));
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new GatewayError('INVALID_INPUT_SIGNAL', `Input file ${path} is empty`);
  const sep = headerLine.line.includes(';') && !headerLine.line.includes(',') ? ';' : ',';
  const headerCells = splitCsvRecord(headerLine.line, sep);
  if (typeof headerCells === 'string') return fail(`line ${headerLine.number}: ${headerCells}`);
  const header = headerCells.map((c) => c.text);
  if (header.length < 2 || header[0]?.toLowerCase() !== 'time') {
    return fail(`the header must be "time,<input>,…", got "${headerLine.line}"`);
  }
  const signals = header.slice(1).map((name) => ({ name, time: [] as number[], values: [] as (number | boolean | string)[] }));
  for (const { line, number } of lines) {
    const cells = splitCsvRecord(line, sep);
    if (typeof cells === 'string') return fail(`line ${number}: ${cells}`);
    if (cells.length !== header.length) return fail(`line ${number}: expected ${header.length} values, got ${cells.length}`);
    const t = Number(cells[0]?.text);
    if (cells[0]?.text === '' || !Number.isFinite(t)) return fail(`line ${number}: time "${cells[0]?.text}" is not a number`);
    signals.forEach((s, j) => {
      const cell = cells[j + 1] as CsvCell;
      const v = cellValue(cell);
      if (v === undefined) fail(`line ${number}: the value of "${s.name}" is empty`);
      s.time.push(t);
      s.values.push(v as number | boolean | string);
    });
  }
  return signals;
}

/** Parses a required finite number option. */
export function parseNumberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) {
    throw new GatewayError('BAD_REQUEST', `--${name} expects a number, got "${text}"`);
  }
  return v;
}
