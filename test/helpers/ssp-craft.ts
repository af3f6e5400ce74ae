/**
 * Writes SSP archives for tests with our own code: SystemStructure.ssd (SSP 1.0 or 2.0 XML),
 * .ssv parameter sets and component FMUs, zipped by test/helpers/zip-craft.ts.
 */
import { readFileSync } from 'node:fs';
import { craftZip, type CraftEntry } from './zip-craft.ts';

export interface SspConnector {
  name: string;
  kind: 'input' | 'output' | 'parameter';
  type?: string;
  unit?: string;
}

export interface SspComponentSpec {
  name: string;
  source: string;
  implementation?: 'CoSimulation' | 'ModelExchange' | 'any';
  connectors: SspConnector[];
  /** .ssv path bound to this component. */
  ssv?: string;
}

export function ssd(opts: {
  version?: '1.0' | '2.0';
  components: SspComponentSpec[];
  connections: [string, string, string, string][];
  systemSsv?: string;
  extraSystemXml?: string;
  stopTime?: number;
}): string {
  const v = opts.version ?? '1.0';
  const real = v === '1.0' ? 'Real' : 'Float64';
  const conn = (c: SspConnector): string =>
    `<ssd:Connector name="${c.name}" kind="${c.kind}"><ssc:${c.type ?? real}${c.unit ? ` unit="${c.unit}"` : ''}/></ssd:Connector>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<ssd:SystemStructureDescription xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon" xmlns:ssd="http://ssp-standard.org/SSP1/SystemStructureDescription" version="${v}" name="QuarterCarSsp">`,
    '  <ssd:System name="root">',
    opts.systemSsv ? `    <ssd:ParameterBindings><ssd:ParameterBinding source="${opts.systemSsv}"/></ssd:ParameterBindings>` : '',
    '    <ssd:Elements>',
    ...opts.components.map(
      (c) =>
        `      <ssd:Component name="${c.name}" type="application/x-fmu-sharedlibrary" source="${c.source}"${c.implementation ? ` implementation="${c.implementation}"` : ''}>` +
        `<ssd:Connectors>${c.connectors.map(conn).join('')}</ssd:Connectors>` +
        (c.ssv ? `<ssd:ParameterBindings><ssd:ParameterBinding source="${c.ssv}"/></ssd:ParameterBindings>` : '') +
        '<ssd:ElementGeometry x1="0" y1="0" x2="1" y2="1"/></ssd:Component>',
    ),
    '    </ssd:Elements>',
    '    <ssd:Connections>',
    ...opts.connections.map(
      ([a, b, c, d]) => `      <ssd:Connection startElement="${a}" startConnector="${b}" endElement="${c}" endConnector="${d}"/>`,
    ),
    '    </ssd:Connections>',
    opts.extraSystemXml ?? '',
    '  </ssd:System>',
    opts.stopTime !== undefined ? `  <ssd:DefaultExperiment startTime="0" stopTime="${opts.stopTime}"/>` : '',
    '</ssd:SystemStructureDescription>',
  ].join('\n');
}

export function ssv(params: Record<string, number | boolean>): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ssv:ParameterSet xmlns:ssv="http://ssp-standard.org/SSP1/SystemStructureParameterValues" version="1.0" name="params">',
    '  <ssv:Parameters>',
    ...Object.entries(params).map(([k, v]) =>
      typeof v === 'boolean'
        ? `    <ssv:Parameter name="${k}"><ssv:Boolean value="${v}"/></ssv:Parameter>`
        : `    <ssv:Parameter name="${k}"><ssv:Real value="${v}"/></ssv:Parameter>`,
    ),
    '  </ssv:Parameters>',
    '</ssv:ParameterSet>',
  ].join('\n');
}

/** The quarter car as an SSP: body and wheel FMUs, three connections, parameters in .ssv files. */
export function quarterCarSsp(
  body: string,
  wheel: string,
  opts: {
    version?: '1.0' | '2.0';
    bodyParams?: Record<string, number>;
    systemParams?: Record<string, number>;
    extra?: CraftEntry[];
    mutateSsd?: (x: string) => string;
  } = {},
): Buffer {
  const version = opts.version ?? '1.0';
  let text = ssd({
    version,
    components: [
      {
        name: 'body',
        source: 'resources/body.fmu',
        connectors: [
          { name: 'z_u', kind: 'input', unit: 'm' },
          { name: 'v_u', kind: 'input' },
          { name: 'f_susp', kind: 'output', unit: 'N' },
          { name: 'z_s', kind: 'output' },
        ],
        ...(opts.bodyParams ? { ssv: 'resources/body.ssv' } : {}),
      },
      {
        name: 'wheel',
        source: 'resources/wheel.fmu',
        connectors: [
          { name: 'f_susp', kind: 'input' },
          { name: 'z_u', kind: 'output' },
          { name: 'v_u', kind: 'output' },
        ],
      },
    ],
    connections: [
      ['body', 'f_susp', 'wheel', 'f_susp'],
      ['wheel', 'z_u', 'body', 'z_u'],
      ['wheel', 'v_u', 'body', 'v_u'],
    ],
    ...(opts.systemParams ? { systemSsv: 'resources/system.ssv' } : {}),
    stopTime: 3,
  });
  if (opts.mutateSsd) text = opts.mutateSsd(text);
  const entries: CraftEntry[] = [
    { name: 'SystemStructure.ssd', data: text },
    { name: 'resources/body.fmu', data: readFileSync(body) },
    { name: 'resources/wheel.fmu', data: readFileSync(wheel) },
  ];
  if (opts.bodyParams) entries.push({ name: 'resources/body.ssv', data: ssv(opts.bodyParams) });
  if (opts.systemParams) entries.push({ name: 'resources/system.ssv', data: ssv(opts.systemParams) });
  return craftZip([...entries, ...(opts.extra ?? [])]);
}
