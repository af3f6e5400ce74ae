/**
 * XML plumbing shared by the FMI 2 and FMI 3 model-description readers: a safe parse into a
 * small ordered element tree (FMI 3 variables are heterogeneous siblings whose order matters),
 * and strict attribute readers that throw MODEL_DESCRIPTION_INVALID naming element + attribute.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { GatewayError } from '../errors.ts';
import { escapeForText } from '../text-escape.ts';
import { modelIdentifierProblem, relativePathProblem } from './safe-path.ts';

export interface XmlElement {
  tag: string;
  attrs: Readonly<Record<string, string>>;
  children: XmlElement[];
}

/** Where an error is: the XML element, optionally the attribute and the variable's name. */
export interface XmlSite {
  element: string;
  attribute?: string;
  variable?: string;
}

export function mdError(message: string, site?: XmlSite): GatewayError {
  const where = site
    ? ` (element <${site.element}>${site.variable ? ` "${site.variable}"` : ''}${site.attribute ? `, attribute ${site.attribute}` : ''})`
    : '';
  return new GatewayError('MODEL_DESCRIPTION_INVALID', `modelDescription.xml: ${message}${where}`, site ? { ...site } : undefined);
}

// Deeper levels only occur inside <Annotations>, which we ignore; the cap keeps recursion bounded.
const MAX_DEPTH = 24;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  // Safe only because DOCTYPE/ENTITY are refused before parsing: this decodes the five XML
  // entities and numeric character references (&#176;), nothing user-defined.
  processEntities: true,
  htmlEntities: true,
});

type OrderedNode = Record<string, unknown>;

function convert(node: OrderedNode, depth: number): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (tag === undefined || tag.startsWith('#') || tag.startsWith('?')) return undefined;
  const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  const raw = node[':@'];
  if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') attrs[k] = v;
  }
  const children: XmlElement[] = [];
  const kids = node[tag];
  if (depth < MAX_DEPTH && Array.isArray(kids)) {
    for (const kid of kids) {
      const el = kid && typeof kid === 'object' ? convert(kid as OrderedNode, depth + 1) : undefined;
      if (el) children.push(el);
    }
  }
  return { tag, attrs, children };
}

/** The parser enforces its own limits (e.g. nesting depth) by throwing plain Errors: make them ours. */
function guard<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (e) {
    throw new GatewayError('MODEL_DESCRIPTION_INVALID', `${what} could not be parsed: ${e instanceof Error ? e.message : String(e)}`, {
      element: 'xml',
    });
  }
}

/**
 * Parse XML text into its single root element. Any DOCTYPE or ENTITY declaration is refused
 * outright (never expanded: that is how "billion laughs" and external-entity attacks work).
 */
export function parseXmlTree(xml: string, what = 'modelDescription.xml'): XmlElement {
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new GatewayError(
      'MODEL_DESCRIPTION_INVALID',
      `${what}: DOCTYPE/ENTITY declarations are not allowed (they are refused, never expanded); remove the <!DOCTYPE ...> block`,
      {
        element: '!DOCTYPE',
      },
    );
  }
  const valid = guard(() => XMLValidator.validate(text), what);
  if (valid !== true) {
    throw new GatewayError(
      'MODEL_DESCRIPTION_INVALID',
      `${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
      {
        element: 'xml',
        line: valid.err.line,
        column: valid.err.col,
      },
    );
  }
  const nodes = guard(() => parser.parse(text) as unknown, what);
  const roots = (Array.isArray(nodes) ? nodes : [])
    .map((n) => (n && typeof n === 'object' ? convert(n as OrderedNode, 0) : undefined))
    .filter((n): n is XmlElement => n !== undefined);
  const root = roots[0];
  if (roots.length !== 1 || !root) {
    throw new GatewayError('MODEL_DESCRIPTION_INVALID', `${what} must have exactly one root element, found ${roots.length}`, {
      element: 'xml',
    });
  }
  return root;
}

export function childrenOf(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}

export function childOf(el: XmlElement | undefined, tag: string): XmlElement | undefined {
  return el?.children.find((c) => c.tag === tag);
}

function site(el: XmlElement, attribute: string): XmlSite {
  const variable = el.attrs.name;
  return variable === undefined ? { element: el.tag, attribute } : { element: el.tag, attribute, variable };
}

export function optString(el: XmlElement, name: string): string | undefined {
  return el.attrs[name];
}

export function reqString(el: XmlElement, name: string): string {
  const v = el.attrs[name];
  if (v === undefined || v.trim() === '') throw mdError(`required attribute ${name} is missing or empty`, site(el, name));
  return v;
}

const DOUBLE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** xs:double text → number (INF, -INF and NaN allowed as in XML Schema); throws on anything else. */
export function parseDoubleText(text: string, el: XmlElement, name: string): number {
  const t = text.trim();
  if (DOUBLE.test(t)) return Number(t);
  if (t === 'INF' || t === '+INF') return Infinity;
  if (t === '-INF') return -Infinity;
  if (t === 'NaN') return NaN;
  throw mdError(`"${text}" is not a number`, site(el, name));
}

/** xs integer text within [min, max] (bigint bounds so 64-bit ranges are exact). */
export function parseIntegerText(text: string, el: XmlElement, name: string, min: bigint, max: bigint): bigint {
  const t = text.trim();
  if (!INTEGER.test(t)) throw mdError(`"${text}" is not an integer`, site(el, name));
  const v = BigInt(t);
  if (v < min || v > max) throw mdError(`${t} is outside the range ${min}..${max}`, site(el, name));
  return v;
}

export function optDouble(el: XmlElement, name: string): number | undefined {
  const v = el.attrs[name];
  return v === undefined ? undefined : parseDoubleText(v, el, name);
}

/** A finite double, or undefined: used for min/max/nominal, where ±INF means "no bound". */
export function optFinite(el: XmlElement, name: string): number | undefined {
  const v = optDouble(el, name);
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

export function optInt(el: XmlElement, name: string, min = -(2n ** 31n), max = 2n ** 31n - 1n): number | undefined {
  const v = el.attrs[name];
  return v === undefined ? undefined : Number(parseIntegerText(v, el, name, min, max));
}

export const UINT32_MAX = 2n ** 32n - 1n;

/** A model identifier: it becomes a file name (binaries/<platform>/<id>.so) and C symbol prefix. */
export function reqModelIdentifier(el: XmlElement): string {
  const id = reqString(el, 'modelIdentifier');
  const problem = modelIdentifierProblem(id);
  if (problem !== undefined)
    throw mdError(`modelIdentifier "${escapeForText(id, 80)}" ${problem}`, { element: el.tag, attribute: 'modelIdentifier' });
  return id;
}

/** A file name relative to a root (sources/): refused before any join when it could leave it. */
export function reqRelativePath(el: XmlElement, name: string): string {
  const v = reqString(el, name);
  const problem = relativePathProblem(v);
  if (problem !== undefined)
    throw mdError(`${name} "${escapeForText(v, 80)}" ${problem}; it must be a relative path inside sources/`, site(el, name));
  return v;
}

export function reqUint32(el: XmlElement, name: string): number {
  return Number(parseIntegerText(reqString(el, name), el, name, 0n, UINT32_MAX));
}

export function parseBoolText(text: string, el: XmlElement, name: string): boolean {
  const t = text.trim();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw mdError(`"${text}" is not a boolean (true/false)`, site(el, name));
}

export function optBool(el: XmlElement, name: string, fallback: boolean): boolean {
  const v = el.attrs[name];
  return v === undefined ? fallback : parseBoolText(v, el, name);
}

export function optEnum<T extends string>(el: XmlElement, name: string, allowed: readonly T[]): T | undefined {
  const v = el.attrs[name];
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw mdError(`"${v}" is not one of ${allowed.join(', ')}`, site(el, name));
  }
  return v as T;
}
