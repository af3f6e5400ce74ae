/** `fmu-gateway info <file.fmu | msl:Name>`: model summary and variable table. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { CausalitySchema } from '../schemas/model-description.ts';
import { createCatalog } from '../library/catalog.ts';
import { getVariables } from '../service/get-variables.ts';
import { fmuIdFromArgument } from './fmu-argument.ts';
import { createLocalContext } from './local-context.ts';
import { renderTable } from './output.ts';
import { escapeForText } from '../text-escape.ts';

const USAGE = `Usage: fmu-gateway info <file.fmu | msl:Name> [options]
  --causality C          only variables of this causality (${CausalitySchema.options.join(', ')})
  --fmi-version 2.0|3.0  library models: which build (default 3.0)
  --json                 print the summary and variables as JSON
  -h, --help             this text
`;

function show(v: unknown): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return String(v);
}

export async function runInfoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      causality: { type: 'string' },
      'fmi-version': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const causality = values.causality === undefined ? undefined : CausalitySchema.safeParse(values.causality);
  if (causality?.success === false) {
    throw new GatewayError('BAD_REQUEST', `--causality must be one of ${CausalitySchema.options.join(', ')}; got "${values.causality}"`);
  }
  const fmiVersion = values['fmi-version'];
  if (fmiVersion !== undefined && fmiVersion !== '2.0' && fmiVersion !== '3.0') {
    throw new GatewayError('BAD_REQUEST', `--fmi-version must be 2.0 or 3.0; got "${fmiVersion}"`);
  }
  const local = await createLocalContext(loadConfig(), { catalog: createCatalog() });
  try {
    const fmuId = await fmuIdFromArgument(local.ctx, positionals[0]);
    const info = await getVariables(local.ctx, {
      fmu_id: fmuId,
      limit: 10_000,
      ...(fmiVersion !== undefined ? { fmi_version: fmiVersion } : {}),
      ...(causality?.data !== undefined ? { causality: causality.data } : {}),
    });
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    const de = info.default_experiment;
    const lines = [
      `model        ${escapeForText(info.model_name)}${info.description ? ` — ${escapeForText(info.description)}` : ''}`,
      `fmu_id       ${fmuId}`,
      `FMI          ${info.fmi_version}   interfaces: ${info.interfaces.join(', ')}`,
      `guid/token   ${escapeForText(info.guid)}`,
      `experiment   start ${de.start_time ?? 0}  stop ${de.stop_time ?? '-'}  step ${de.step_size ?? '-'}  tolerance ${de.tolerance ?? '-'}`,
      `variables    ${info.total}`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const rows = info.variables.map((v) => [v.name, v.causality, v.variability, v.type, show(v.start), v.unit ?? '', v.description ?? '']);
    process.stdout.write(renderTable(['name', 'causality', 'variability', 'type', 'start', 'unit', 'description'], rows));
    return 0;
  } finally {
    await local.close();
  }
}
