/**
 * FMU log handling: a bounded ring of recent lines (for error messages), the FMI 2
 * variadic logger callback with our own printf formatting, and the FMI 3 callback.
 */
import type { TypeObject } from 'koffi';
import type { FmiStatusName, LogRecord } from './instance.ts';
import { Fmi2LoggerProto, Fmi3LogMessageProto, koffi, readCString, statusName } from './koffi-types.ts';

const RING_SIZE = 64;

/** Keeps the last RING_SIZE log lines; forwards every record to an optional sink. */
export class LogRing {
  private readonly lines: string[] = [];
  constructor(private readonly sink?: (record: LogRecord) => void) {}

  push(record: LogRecord): void {
    const line = `[${record.status}]${record.category ? `[${record.category}]` : ''} ${record.instance}: ${record.message}`;
    if (this.lines.length >= RING_SIZE) this.lines.shift();
    this.lines.push(line);
    if (this.sink) {
      try {
        this.sink(record);
      } catch {
        // A failing sink must not unwind through native code (koffi would return 0 to C anyway).
      }
    }
  }

  last(count = 10): string[] {
    return this.lines.slice(Math.max(0, this.lines.length - count));
  }
}

const INT_SLOTS = 6;
const DOUBLE_SLOTS = 8;

/**
 * Whether the trailing-parameter trick of Fmi2LoggerProto reads real variadic arguments.
 * Verified on x86_64 System V (Linux); elsewhere (Win64 passes variadics differently,
 * Apple arm64 puts them all on the stack) we deliver the raw format string.
 */
export const VARIADIC_FORMATTING = process.arch === 'x64' && process.platform !== 'win32';

interface Conversion {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  length: string;
  conv: string;
}

const SPEC = /%([-+ #0]*)(\d+)?(?:\.(\d*))?(hh|h|ll|l|j|z|t|L|q)?([diouxXeEfFgGaAcspn%])/g;

function parseFormat(fmt: string): { parts: (string | Conversion)[]; ints: number; doubles: number } | undefined {
  const parts: (string | Conversion)[] = [];
  let ints = 0;
  let doubles = 0;
  let last = 0;
  for (const m of fmt.matchAll(SPEC)) {
    const conv = m[5] ?? '%';
    const literal = fmt.slice(last, m.index);
    // A '%' not matched by SPEC (e.g. '*' widths) means we cannot know the argument layout.
    if (literal.includes('%')) return undefined;
    parts.push(literal);
    last = m.index + m[0].length;
    if (conv === '%') {
      parts.push('%');
      continue;
    }
    if (conv === 'n') return undefined; // writes through a pointer: never
    if ('eEfFgGaA'.includes(conv)) doubles++;
    else ints++;
    parts.push({
      flags: m[1] ?? '',
      width: m[2] === undefined ? undefined : Number(m[2]),
      precision: m[3] === undefined ? undefined : Number(m[3] || '0'),
      length: m[4] ?? '',
      conv,
    });
  }
  const rest = fmt.slice(last);
  if (rest.includes('%')) return undefined;
  parts.push(rest);
  return { parts, ints, doubles };
}

function toBigInt(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

function intArg(raw: number | bigint, c: Conversion, signed: boolean): bigint {
  const wide = c.length === 'l' || c.length === 'll' || c.length === 'j' || c.length === 'z' || c.length === 't' || c.length === 'q';
  const bits = wide ? 64 : c.length === 'h' ? 16 : c.length === 'hh' ? 8 : 32;
  const b = toBigInt(raw);
  return signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b);
}

function formatG(v: number, precision: number | undefined, alt: boolean, upper: boolean): string {
  const p = precision === undefined ? 6 : precision === 0 ? 1 : precision;
  if (v === 0) return alt ? (0).toFixed(p - 1) : '0';
  const exp = Number(v.toExponential(p - 1).split('e')[1]);
  const s = exp < -4 || exp >= p ? formatE(v, p - 1, upper) : v.toFixed(p - 1 - exp);
  if (alt) return s;
  // %g drops trailing zeros of the fraction (and a bare trailing point).
  const at = s.search(/[eE]/);
  const mant = at < 0 ? s : s.slice(0, at);
  const tail = at < 0 ? '' : s.slice(at);
  return (mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant) + tail;
}

function formatE(v: number, precision: number, upper: boolean): string {
  const [mant, e] = v.toExponential(precision).split('e') as [string, string];
  const sign = e.startsWith('-') ? '-' : '+';
  const digits = e.replace(/^[-+]/, '').padStart(2, '0');
  const s = `${mant}e${sign}${digits}`;
  return upper ? s.toUpperCase() : s;
}

function formatDouble(v: number, c: Conversion): string {
  const upper = c.conv === c.conv.toUpperCase();
  if (!Number.isFinite(v)) return Number.isNaN(v) ? (upper ? 'NAN' : 'nan') : (v < 0 ? '-' : '') + (upper ? 'INF' : 'inf');
  switch (c.conv) {
    case 'f':
    case 'F':
      return v.toFixed(c.precision ?? 6);
    case 'e':
    case 'E':
      return formatE(v, c.precision ?? 6, upper);
    case 'a':
    case 'A':
      return String(v);
    default:
      return formatG(v, c.precision, c.flags.includes('#'), upper);
  }
}

function pad(s: string, c: Conversion, numeric: boolean): string {
  let out = s;
  if (numeric && c.flags.includes('+') && !out.startsWith('-')) out = `+${out}`;
  else if (numeric && c.flags.includes(' ') && !out.startsWith('-')) out = ` ${out}`;
  if (c.width === undefined || out.length >= c.width) return out;
  if (c.flags.includes('-')) return out.padEnd(c.width);
  if (numeric && c.flags.includes('0')) {
    const sign = /^[-+ ]/.test(out) ? out.slice(0, 1) : '';
    return sign + out.slice(sign.length).padStart(c.width - sign.length, '0');
  }
  return out.padStart(c.width);
}

/**
 * Formats a printf-style message from the raw trailing callback parameters, or returns
 * undefined when that is not safe (too many arguments, unsupported conversion, platform).
 */
export function formatVariadic(fmt: string, ints: readonly (number | bigint)[], doubles: readonly number[]): string | undefined {
  if (!VARIADIC_FORMATTING) return undefined;
  if (!fmt.includes('%')) return fmt;
  const parsed = parseFormat(fmt);
  if (!parsed || parsed.ints > INT_SLOTS || parsed.doubles > DOUBLE_SLOTS) return undefined;
  let ii = 0;
  let di = 0;
  let out = '';
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const c = part;
    if ('eEfFgGaA'.includes(c.conv)) {
      out += pad(formatDouble(doubles[di++] ?? 0, c), c, true);
      continue;
    }
    const raw = ints[ii++] ?? 0;
    switch (c.conv) {
      case 'd':
      case 'i':
        out += pad(intArg(raw, c, true).toString(), c, true);
        break;
      case 'u':
        out += pad(intArg(raw, c, false).toString(), c, true);
        break;
      case 'x':
      case 'X': {
        const h = intArg(raw, c, false).toString(16);
        out += pad(c.conv === 'X' ? h.toUpperCase() : h, c, true);
        break;
      }
      case 'o':
        out += pad(intArg(raw, c, false).toString(8), c, true);
        break;
      case 'c':
        out += pad(String.fromCharCode(Number(BigInt.asUintN(8, toBigInt(raw)))), c, false);
        break;
      case 'p':
        out += pad(`0x${BigInt.asUintN(64, toBigInt(raw)).toString(16)}`, c, false);
        break;
      case 's': {
        const ptr = BigInt.asUintN(64, toBigInt(raw));
        let s = ptr === 0n ? '(null)' : readCString(ptr);
        if (c.precision !== undefined) s = s.slice(0, c.precision);
        out += pad(s, c, false);
        break;
      }
    }
  }
  return out;
}

/** A registered native callback and how to release it (after freeInstance). */
export interface RegisteredCallback {
  readonly pointer: bigint;
  unregister(): void;
}

function register(fn: (...args: never[]) => void, proto: TypeObject): RegisteredCallback {
  const pointer = koffi.register(fn, koffi.pointer(proto));
  let live = true;
  return {
    pointer,
    unregister() {
      if (live) koffi.unregister(pointer);
      live = false;
    },
  };
}

/** Registers an FMI 2 logger that formats printf arguments where safe (see VARIADIC_FORMATTING). */
export function registerFmi2Logger(ring: LogRing): RegisteredCallback {
  const fn = (
    _env: unknown,
    instance: string | null,
    status: number,
    category: string | null,
    message: string | null,
    i0: number | bigint,
    i1: number | bigint,
    i2: number | bigint,
    i3: number | bigint,
    i4: number | bigint,
    i5: number | bigint,
    d0: number,
    d1: number,
    d2: number,
    d3: number,
    d4: number,
    d5: number,
    d6: number,
    d7: number,
  ): void => {
    const fmt = message ?? '';
    const formatted = formatVariadic(fmt, [i0, i1, i2, i3, i4, i5], [d0, d1, d2, d3, d4, d5, d6, d7]);
    ring.push({ instance: instance ?? '', status: statusName(status), category: category ?? '', message: formatted ?? fmt });
  };
  return register(fn as (...args: never[]) => void, Fmi2LoggerProto);
}

/** Registers an FMI 3 logMessage callback (not variadic). */
export function registerFmi3Logger(ring: LogRing, instanceName: string): RegisteredCallback {
  const fn = (_env: unknown, status: number, category: string | null, message: string | null): void => {
    ring.push({ instance: instanceName, status: statusName(status) as FmiStatusName, category: category ?? '', message: message ?? '' });
  };
  return register(fn as (...args: never[]) => void, Fmi3LogMessageProto);
}
