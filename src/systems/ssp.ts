/**
 * SSP import (System Structure and Parameterization 1.0 and 2.0): an .ssp archive →
 * a SystemDescription plus the bytes of the component FMUs it references.
 *
 * The archive is checked entry by entry like an FMU (src/fmi/archive.ts: names inside the root,
 * no links, size / count / ratio limits) and never extracted to disk: the SSD and SSV files are
 * inflated in memory and parsed without DOCTYPE / entities (src/fmi/model-description-xml.ts);
 * component FMUs are returned as bytes for the FMU store (content-addressed: names from the
 * archive never become paths). Every `source` reference is a relative path inside the archive.
 *
 * Supported: one <System> with <Elements> of FMU <Component>s (implementation CoSimulation /
 * ModelExchange / any), their <Connectors> (kind input / output / parameter / calculatedParameter,
 * checked against the FMU's variables), <Connections> between components and to the system's own
 * connectors (system inputs / outputs), <ParameterBindings> to .ssv files or inline
 * <ParameterValues> (system or component level, optional prefix), <Units>, <DefaultExperiment>.
 * Annotations and geometry are ignored (they are meant to be). Anything else — nested systems,
 * signal dictionaries, parameter mappings, connection transformations, non-FMU components — is
 * refused by name with UNSUPPORTED_FEATURE, never silently dropped.
 */
import { GatewayError } from '../errors.ts';
import { inflateEntry, readCheckedEntries } from '../fmi/archive.ts';
import type { ZipEntry } from '../fmi/archive-zip.ts';
import { parseXmlTree, type XmlElement } from '../fmi/model-description-xml.ts';
import type { ArchiveLimits } from '../fmi/opened-fmu.ts';
import { relativePathProblem } from '../fmi/safe-path.ts';
type VariableValue = string | number | boolean;
import type { SystemDescription } from '../schemas/system.ts';
import { escapeForText } from '../text-escape.ts';

export interface SspComponent {
  name: string;
  /** The FMU's path inside the archive. */
  source: string;
  interface?: 'CS' | 'ME';
  /** Declared connectors: name → kind and type (checked against the FMU by checkSspConnectors). */
  connectors: { name: string; kind: string; type: string | undefined }[];
}

export interface ParsedSsp {
  /** The description, components still named by their archive source (see SspComponent). */
  description: Omit<SystemDescription, 'components'>;
  components: SspComponent[];
  /** Archive path → bytes of every referenced FMU. */
  fmus: Map<string, Buffer>;
  warnings: string[];
}

const IGNORED = new Set([
  'Annotations',
  'ElementGeometry',
  'SystemGeometry',
  'GraphicalElements',
  'ConnectorGeometry',
  'ConnectionGeometry',
  'Enumerations',
]);
/** SSP 1.0 type names and SSP 2.0's FMI 3 names → our variable type families. */
const TYPE_FAMILY: Record<string, string> = {
  Real: 'float',
  Float64: 'float',
  Float32: 'float',
  Integer: 'integer',
  Int8: 'integer',
  UInt8: 'integer',
  Int16: 'integer',
  UInt16: 'integer',
  Int32: 'integer',
  UInt32: 'integer',
  Int64: 'integer',
  UInt64: 'integer',
  Boolean: 'boolean',
  String: 'string',
  Enumeration: 'enumeration',
  Binary: 'binary',
};

function invalid(message: string, data: Record<string, unknown>): GatewayError {
  return new GatewayError('SYSTEM_INVALID', `SSP archive: ${message}`, data);
}

function unsupported(feature: string, where: string): GatewayError {
  return new GatewayError(
    'UNSUPPORTED_FEATURE',
    `SSP archive: <${feature}> (${where}) is not supported by this gateway; it is refused rather than ignored.`,
    { feature, where },
  );
}

const local = (el: XmlElement): string => el.tag.slice(el.tag.indexOf(':') + 1);
const kids = (el: XmlElement | undefined, name: string): XmlElement[] => (el?.children ?? []).filter((c) => local(c) === name);
const kid = (el: XmlElement | undefined, name: string): XmlElement | undefined => kids(el, name)[0];

/** Refuses every child of `el` whose local name is neither expected nor ignorable. */
function onlyKnown(el: XmlElement, expected: readonly string[], where: string): void {
  for (const c of el.children) {
    const n = local(c);
    if (!expected.includes(n) && !IGNORED.has(n)) throw unsupported(n, where);
  }
}

/** A `source` reference → a normalized archive path (relative, inside the root). */
function sourcePath(ref: string, what: string): string {
  const text = ref.startsWith('./') ? ref.slice(2) : ref;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) {
    throw invalid(`${what} refers to "${escapeForText(ref, 120)}", a URI; only paths inside the archive are accepted.`, {
      source: ref,
      reason: 'path_escape',
    });
  }
  const problem = relativePathProblem(text);
  if (problem !== undefined)
    throw invalid(`${what} "${escapeForText(ref, 120)}" ${problem}; it must stay inside the archive.`, {
      source: ref,
      reason: 'path_escape',
    });
  return text
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function connectorType(c: XmlElement): string | undefined {
  for (const t of c.children) {
    const n = local(t);
    if (TYPE_FAMILY[n] !== undefined) return n;
  }
  return undefined;
}

function parseValue(p: XmlElement, where: string): VariableValue {
  const typeEl = p.children.find((c) => TYPE_FAMILY[local(c)] !== undefined);
  if (typeEl === undefined)
    throw invalid(`${where}: parameter "${p.attrs.name ?? '?'}" has no value element.`, { reason: 'parameter_value' });
  const t = local(typeEl);
  const raw = typeEl.attrs.value;
  if (raw === undefined)
    throw invalid(`${where}: parameter "${p.attrs.name ?? '?'}" has no value attribute.`, { reason: 'parameter_value' });
  const family = TYPE_FAMILY[t];
  if (family === 'float' || family === 'integer') {
    const x = Number(raw);
    if (!Number.isFinite(x) || raw.trim() === '')
      throw invalid(`${where}: parameter "${p.attrs.name}" has value "${escapeForText(raw, 40)}", not a number.`, {
        reason: 'parameter_value',
      });
    if (typeEl.attrs.unit !== undefined && family === 'float') {
      // Parameter units are taken as given; the connection checks convert units, bindings do not.
    }
    return family === 'integer' && !Number.isSafeInteger(x) ? raw : x;
  }
  if (family === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw invalid(`${where}: parameter "${p.attrs.name}" has Boolean value "${escapeForText(raw, 40)}".`, { reason: 'parameter_value' });
  }
  if (family === 'string' || family === 'enumeration') return raw;
  throw unsupported(t, `${where}, parameter "${p.attrs.name ?? '?'}"`);
}

/** Parameters of a <ParameterSet> (an .ssv file's root or inline <ParameterValues>). */
function parameterSet(root: XmlElement, where: string): [string, VariableValue][] {
  if (local(root) !== 'ParameterSet')
    throw invalid(`${where} is not a ParameterSet (root <${escapeForText(root.tag, 40)}>).`, { reason: 'parameter_set' });
  onlyKnown(root, ['Parameters', 'Units'], where);
  return kids(kid(root, 'Parameters'), 'Parameter').map((p) => {
    const name = p.attrs.name;
    if (name === undefined || name === '') throw invalid(`${where}: a parameter has no name.`, { reason: 'parameter_set' });
    return [name, parseValue(p, where)];
  });
}

export function parseSsp(bytes: Buffer, limits: ArchiveLimits): ParsedSsp {
  let entries: { entry: ZipEntry; segments: string[]; isDir: boolean }[];
  try {
    ({ entries } = readCheckedEntries(bytes, limits));
  } catch (e) {
    // Same checks as for FMUs, reported as what they are: a bad system archive.
    if (e instanceof GatewayError && e.code === 'FMU_INVALID')
      throw new GatewayError('SYSTEM_INVALID', e.message.replace(/^Invalid FMU: /, 'SSP archive: '), e.data);
    throw e;
  }
  const files = new Map<string, ZipEntry>();
  for (const e of entries) if (!e.isDir) files.set(e.segments.join('/'), e.entry);
  const read = (path: string, what: string): Buffer => {
    const e = files.get(path);
    if (e === undefined)
      throw invalid(`${what} "${escapeForText(path, 120)}" is not in the archive.`, { source: path, reason: 'missing_file' });
    return inflateEntry(bytes, e);
  };
  const xml = (path: string, what: string): XmlElement => {
    const e = files.get(path);
    if (e !== undefined && e.uncompressedSize > limits.maxModelDescriptionBytes) {
      throw invalid(`${what} is ${e.uncompressedSize} bytes, more than ${limits.maxModelDescriptionBytes}.`, { reason: 'too_large' });
    }
    const text = read(path, what).toString('utf8');
    try {
      return parseXmlTree(text, what);
    } catch (err) {
      if (err instanceof GatewayError) throw new GatewayError('SYSTEM_INVALID', `SSP archive: ${err.message}`, { ...err.data, file: path });
      throw err;
    }
  };

  const root = xml('SystemStructure.ssd', 'SystemStructure.ssd');
  if (local(root) !== 'SystemStructureDescription')
    throw invalid('SystemStructure.ssd is not a SystemStructureDescription.', { reason: 'not_ssd' });
  const version = root.attrs.version ?? '';
  if (!/^(1\.0|2\.0)/.test(version))
    throw unsupported(`SystemStructureDescription version="${escapeForText(version, 20)}"`, 'SSP 1.0 and 2.0 are supported');
  onlyKnown(root, ['System', 'Units', 'DefaultExperiment', 'Enumerations'], 'SystemStructureDescription');
  const system = kid(root, 'System');
  if (system === undefined) throw invalid('SystemStructure.ssd has no <System>.', { reason: 'not_ssd' });
  onlyKnown(system, ['Connectors', 'ParameterBindings', 'Elements', 'Connections'], 'System');
  const warnings: string[] = [];

  // Components.
  const elements = kid(system, 'Elements');
  const components: SspComponent[] = [];
  const fmus = new Map<string, Buffer>();
  const startValues: Record<string, VariableValue> = {};
  for (const el of elements?.children ?? []) {
    const kind = local(el);
    if (IGNORED.has(kind)) continue;
    if (kind !== 'Component') throw unsupported(kind, 'System/Elements (nested systems and signal dictionaries)');
    const name = el.attrs.name ?? '';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
      throw invalid(`component name "${escapeForText(name, 80)}" is not usable (letters, digits and _, starting with a letter or _).`, {
        component: name,
        reason: 'component_name',
      });
    }
    if (components.some((c) => c.name === name))
      throw invalid(`component ${name} appears twice.`, { component: name, reason: 'duplicate_component' });
    const type = el.attrs.type ?? 'application/x-fmu-sharedlibrary';
    if (type !== 'application/x-fmu-sharedlibrary') throw unsupported(`Component type="${escapeForText(type, 60)}"`, `component ${name}`);
    onlyKnown(el, ['Connectors', 'ParameterBindings'], `component ${name}`);
    const source = sourcePath(el.attrs.source ?? '', `component ${name}'s source`);
    if (!files.has(source)) {
      throw invalid(`component ${name} refers to "${escapeForText(source, 120)}", which is not in the archive.`, {
        component: name,
        source,
        reason: 'missing_component',
      });
    }
    if (!fmus.has(source)) fmus.set(source, read(source, `component ${name}'s FMU`));
    const impl = el.attrs.implementation;
    const iface = impl === 'CoSimulation' ? 'CS' : impl === 'ModelExchange' ? 'ME' : undefined;
    if (impl !== undefined && impl !== 'any' && iface === undefined)
      throw unsupported(`implementation="${escapeForText(impl, 40)}"`, `component ${name}`);
    const connectors = kids(kid(el, 'Connectors'), 'Connector').map((c) => ({
      name: c.attrs.name ?? '',
      kind: c.attrs.kind ?? '',
      type: connectorType(c),
    }));
    components.push({ name, source, ...(iface !== undefined ? { interface: iface } : {}), connectors });
    for (const [p, v] of bindings(el, `component ${name}`, read, xml)) startValues[`${name}.${p}`] = v;
  }
  if (components.length === 0) throw invalid('the system has no components.', { reason: 'no_components' });
  // System-level bindings name "component.connector".
  for (const [p, v] of bindings(system, 'System', read, xml)) {
    if (!p.includes('.'))
      throw unsupported(
        `ParameterBinding of system connector "${escapeForText(p, 60)}"`,
        'System (bind component parameters as "component.parameter")',
      );
    startValues[p] = v;
  }

  // System connectors and connections.
  const sysConnectors = new Map(
    kids(kid(system, 'Connectors'), 'Connector').map(
      (c) => [c.attrs.name ?? '', { kind: c.attrs.kind ?? '', type: connectorType(c) }] as const,
    ),
  );
  const byName = new Map(components.map((c) => [c.name, c] as const));
  const connections: [string, string][] = [];
  const inputs: Record<string, string[]> = {};
  const outputs: Record<string, string> = {};
  for (const k of kids(kid(system, 'Connections'), 'Connection')) {
    onlyKnown(k, [], 'Connection (transformations)');
    const a = k.attrs;
    const fromEl = a.startElement;
    const toEl = a.endElement;
    const from = a.startConnector ?? '';
    const to = a.endConnector ?? '';
    const label = `${fromEl ?? ''}.${from} → ${toEl ?? ''}.${to}`;
    const typeOf = (el: string | undefined, conn: string): string | undefined => {
      if (el === undefined) {
        const s = sysConnectors.get(conn);
        if (s === undefined)
          throw invalid(`connection ${label} names system connector ${conn}, which is not declared.`, {
            connection: label,
            reason: 'missing_connector',
          });
        return s.type;
      }
      const comp = byName.get(el);
      if (comp === undefined)
        throw invalid(`connection ${label} names element ${el}, which is not a component.`, {
          connection: label,
          reason: 'missing_component',
        });
      return comp.connectors.find((c) => c.name === conn)?.type;
    };
    const tf = typeOf(fromEl, from);
    const tt = typeOf(toEl, to);
    if (tf !== undefined && tt !== undefined && TYPE_FAMILY[tf] !== TYPE_FAMILY[tt]) {
      throw new GatewayError('SYSTEM_INVALID', `SSP archive: connection ${label} joins a ${tf} connector to a ${tt} connector.`, {
        connection: label,
        from_type: tf,
        to_type: tt,
        reason: 'type_mismatch',
      });
    }
    if (fromEl === undefined && toEl === undefined) throw unsupported('Connection between two system connectors', label);
    if (fromEl === undefined) (inputs[from] ??= []).push(`${toEl}.${to}`);
    else if (toEl === undefined) outputs[to] = `${fromEl}.${from}`;
    else connections.push([`${fromEl}.${from}`, `${toEl}.${to}`]);
  }

  const de = kid(root, 'DefaultExperiment');
  const num = (s: string | undefined): number | undefined => (s === undefined || !Number.isFinite(Number(s)) ? undefined : Number(s));
  const start = num(de?.attrs.startTime);
  const stop = num(de?.attrs.stopTime);
  const description: ParsedSsp['description'] = {
    connections,
    ...(root.attrs.name !== undefined ? { name: root.attrs.name.slice(0, 200) } : {}),
    ...(Object.keys(startValues).length > 0 ? { start_values: startValues } : {}),
    ...(Object.keys(inputs).length > 0 ? { inputs } : {}),
    ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
    ...(start !== undefined || stop !== undefined
      ? {
          default_experiment: { ...(start !== undefined ? { start_time: start } : {}), ...(stop !== undefined ? { stop_time: stop } : {}) },
        }
      : {}),
  };
  return { description, components, fmus, warnings };
}

/** The <ParameterBindings> of a component or system: name (prefix removed) → value. */
function bindings(
  el: XmlElement,
  where: string,
  read: (path: string, what: string) => Buffer,
  xml: (path: string, what: string) => XmlElement,
): [string, VariableValue][] {
  void read;
  const out: [string, VariableValue][] = [];
  for (const b of kids(kid(el, 'ParameterBindings'), 'ParameterBinding')) {
    onlyKnown(b, ['ParameterValues'], `${where} ParameterBinding (parameter mappings)`);
    const type = b.attrs.type ?? 'application/x-ssp-parameter-set';
    if (type !== 'application/x-ssp-parameter-set') throw unsupported(`ParameterBinding type="${escapeForText(type, 60)}"`, where);
    const prefix = b.attrs.prefix ?? '';
    let set: [string, VariableValue][];
    const inline = kid(b, 'ParameterValues');
    if (inline !== undefined) {
      const ps = kid(inline, 'ParameterSet');
      if (ps === undefined) throw invalid(`${where}: <ParameterValues> holds no ParameterSet.`, { reason: 'parameter_set' });
      set = parameterSet(ps, `${where} inline parameters`);
    } else {
      const src = b.attrs.source;
      if (src === undefined)
        throw invalid(`${where}: a ParameterBinding has neither source nor ParameterValues.`, { reason: 'parameter_set' });
      const path = sourcePath(src, `${where}'s parameter binding`);
      set = parameterSet(xml(path, path), path);
    }
    for (const [name, v] of set) {
      if (prefix !== '' && !name.startsWith(prefix)) continue;
      out.push([name.slice(prefix.length), v]);
    }
  }
  return out;
}

/**
 * The components' declared connectors against their FMUs: each must be a variable of the FMU
 * with a matching causality and type family (an SSD that says "Real" for an FMU's Integer is a
 * connector type mismatch).
 */
export function checkSspConnectors(comp: SspComponent, variables: readonly { name: string; type: string; causality: string }[]): void {
  const family: Record<string, string> = { ...TYPE_FAMILY };
  for (const c of comp.connectors) {
    const v = variables.find((x) => x.name === c.name);
    if (v === undefined) {
      throw invalid(`component ${comp.name} declares connector ${c.name}, but its FMU has no such variable.`, {
        component: comp.name,
        connector: c.name,
        reason: 'missing_variable',
      });
    }
    if (c.type !== undefined && family[c.type] !== family[v.type]) {
      throw invalid(`component ${comp.name}'s connector ${c.name} is declared ${c.type}, but the FMU's variable is ${v.type}.`, {
        component: comp.name,
        connector: c.name,
        declared: c.type,
        actual: v.type,
        reason: 'type_mismatch',
      });
    }
    const kinds: Record<string, string[]> = {
      input: ['input'],
      output: ['output'],
      parameter: ['parameter'],
      calculatedParameter: ['calculatedParameter'],
    };
    const ok = kinds[c.kind];
    if (ok !== undefined && !ok.includes(v.causality)) {
      throw invalid(`component ${comp.name}'s connector ${c.name} is declared ${c.kind}, but the FMU's variable is a ${v.causality}.`, {
        component: comp.name,
        connector: c.name,
        reason: 'causality',
      });
    }
  }
}
