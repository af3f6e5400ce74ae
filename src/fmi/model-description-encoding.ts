/**
 * modelDescription.xml bytes → text, strictly. FMI requires UTF-8; a file that is not valid UTF-8
 * would otherwise be decoded with U+FFFD replacement characters and its names silently changed.
 * Honoured: no declaration or encoding="UTF-8" (validated, a bad byte is refused with its offset),
 * and an explicit single-byte declaration (ISO-8859-1, US-ASCII, windows-1252), as XML parsers do.
 * Everything else (UTF-16, undeclared Latin-1, unknown encodings) is MODEL_DESCRIPTION_INVALID.
 */
import { GatewayError } from '../errors.ts';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function encodingError(message: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('MODEL_DESCRIPTION_INVALID', `modelDescription.xml: ${message}`, { element: 'xml', reason: 'encoding', ...data });
}

/** Byte offset of the first invalid UTF-8 sequence (only called once decoding failed). */
export function firstInvalidUtf8(raw: Uint8Array): number {
  let i = 0;
  while (i < raw.length) {
    const b = raw[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = raw[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlongs, surrogates and code points above U+10FFFF.
    const b1 = raw[i + 1] as number;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += need + 1;
  }
  return raw.length;
}

/** The encoding named in the XML declaration, lower-cased, or undefined when there is none. */
export function declaredEncoding(raw: Uint8Array): string | undefined {
  const head = Buffer.from(raw.subarray(0, 256)).toString('latin1');
  const decl = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml\s[^?]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return decl?.[1]?.toLowerCase();
}

const LATIN1 = new Set(['iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'l1', 'iso_8859-1']);
const ASCII = new Set(['us-ascii', 'ascii']);
const CP1252 = new Set(['windows-1252', 'cp1252']);
/** windows-1252 0x80..0x9F (Node's TextDecoder without full ICU decodes them as Latin-1 controls). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

export function decodeModelDescription(raw: Uint8Array): string {
  const utf16 = (raw[0] === 0xff && raw[1] === 0xfe) || (raw[0] === 0xfe && raw[1] === 0xff) || raw.subarray(0, 4).includes(0);
  if (utf16) {
    throw encodingError('the file is not UTF-8 (it looks like UTF-16); FMI requires UTF-8: re-export or convert the file');
  }
  const enc = declaredEncoding(raw);
  if (enc === undefined || enc === 'utf-8' || enc === 'utf8') {
    try {
      return UTF8.decode(raw);
    } catch {
      const at = firstInvalidUtf8(raw);
      throw encodingError(
        `byte ${at} (0x${(raw[at] ?? 0).toString(16).padStart(2, '0')}) is not valid UTF-8. FMI requires UTF-8; ` +
          'a Latin-1 file must either be converted to UTF-8 or say so in its declaration (<?xml version="1.0" encoding="ISO-8859-1"?>)',
        { byte_offset: at, declared_encoding: enc ?? null },
      );
    }
  }
  if (LATIN1.has(enc)) return Buffer.from(raw).toString('latin1');
  if (CP1252.has(enc))
    return Buffer.from(raw)
      .toString('latin1')
      .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
  if (ASCII.has(enc)) {
    const at = raw.findIndex((b) => b >= 0x80);
    if (at >= 0)
      throw encodingError(`byte ${at} is not ASCII although the declaration says ${enc}`, { byte_offset: at, declared_encoding: enc });
    return Buffer.from(raw).toString('latin1');
  }
  throw encodingError(`the declared encoding "${enc}" is not supported; FMI requires UTF-8`, { declared_encoding: enc });
}
