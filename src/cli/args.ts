/**
 * Parsing of the CLI's value arguments: `--set name=value` and `--input in.csv`.
 * Values become the same shapes the service schemas take (start_values, input_signals).
 */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../errors.ts';

export type CliValue = number | boolean | string;

/** "3.5" → 3.5, "true"/"false" → boolean, anything else (or "quoted") → string. */
export function parseCliValue(text: string): CliValue {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^".*"$/.test(t) || /^'.*'$/.test(t)) return t.slice(1, -1);
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return text;
}

/** Parses repeated `name=value` pairs into a record; a missing "=" is a usage error. */
export function parseSetValues(pairs: readonly string[]): Record<string, CliValue> {
  const out: Record<string, CliValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new GatewayError('BAD_REQUEST', `--set expects name=value, got "${pair}"`, {
        hint: 'Write for example --set k=2.5 or --set enabled=true',
      });
    }
    out[pair.slice(0, eq).trim()] = parseCliValue(pair.slice(eq + 1));
  }
  return out;
}

export interface CliInputSignal {
  name: string;
  time: number[];
  values: number[];
}

/**
 * Reads an input table: a header `time,<input1>,<input2>…` and one row per sample,
 * comma- or semicolon-separated; `#` lines are comments. Each column becomes one input signal.
 */
export function parseInputCsv(path: string): CliInputSignal[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GatewayError('INVALID_INPUT_SIGNAL', `Cannot read input file ${path}: ${(e as Error).message}`);
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new GatewayError('INVALID_INPUT_SIGNAL', `Input file ${path} is empty`);
  const sep = headerLine.includes(';') && !headerLine.includes(',') ? ';' : ',';
  const header = headerLine.split(sep).map((h) => h.trim().replace(/^"|"$/g, ''));
  if (header.length < 2 || header[0]?.toLowerCase() !== 'time') {
    throw new GatewayError('INVALID_INPUT_SIGNAL', `Input file ${path}: the header must be "time,<input>,…", got "${headerLine}"`);
  }
  const signals = header.slice(1).map((name) => ({ name, time: [] as number[], values: [] as number[] }));
  lines.forEach((line, i) => {
    const cells = line.split(sep);
    if (cells.length !== header.length) {
      throw new GatewayError(
        'INVALID_INPUT_SIGNAL',
        `Input file ${path}, data line ${i + 1}: expected ${header.length} values, got ${cells.length}`,
      );
    }
    const nums = cells.map((c) => {
      const t = c.trim();
      const v = t === 'true' ? 1 : t === 'false' ? 0 : Number(t);
      if (t === '' || !Number.isFinite(v)) {
        throw new GatewayError('INVALID_INPUT_SIGNAL', `Input file ${path}, data line ${i + 1}: "${c}" is not a number`);
      }
      return v;
    });
    signals.forEach((s, j) => {
      s.time.push(nums[0] as number);
      s.values.push(nums[j + 1] as number);
    });
  });
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
