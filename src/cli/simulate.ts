/**
 * `fmu-gateway simulate <file.fmu | msl:Name> …`: runs one simulation through the worker pool.
 * Default output: a short summary per output (final, min, max); --csv writes the full result;
 * --json prints the summary, provenance and the full series.
 *
 * This module is the command's light front: it parses the command line, reads the config and
 * starts the worker pool, and only then loads the code that opens the FMU, runs and prints
 * (simulate-run.ts: the service, the schemas, the FMU reader). The worker process boots on the
 * other core while that code loads (start-up budget, docs/architecture.md).
 */
import { parseArgs } from 'node:util';
import { config as configureZod } from 'zod';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { createLocalContext } from './local-context.ts';
import { SIMULATION_OPTIONS, SIMULATION_OPTIONS_USAGE } from './simulation-options.ts';
import { SYSTEM_OPTIONS, SYSTEM_OPTIONS_USAGE } from './system-options.ts';
import { markStartup } from '../startup-trace.ts';

const USAGE = `Usage: fmu-gateway simulate <file.fmu | msl:Name | system.ssp> [options]
${SIMULATION_OPTIONS_USAGE}${SYSTEM_OPTIONS_USAGE}  --csv FILE             write the full result as CSV
  --arrow FILE           write the full result as Arrow IPC (typed columns; pyarrow, polars, DuckDB)
  --mat FILE             write the full result as MATLAB v4, Modelica "dsres" layout (Dymola, OMEdit, SciPy)
  --parquet FILE         write the full result as Parquet (typed columns; pandas, polars, DuckDB)
  --json                 print summary, provenance and the full series as JSON
  -h, --help             this text
`;

const OPTIONS = {
  ...SIMULATION_OPTIONS,
  ...SYSTEM_OPTIONS,
  csv: { type: 'string' },
  arrow: { type: 'string' },
  mat: { type: 'string' },
  parquet: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The export flags, in the order the files are written (simulate-run.ts has their writers). */
export const EXPORT_FLAGS = ['csv', 'arrow', 'mat', 'parquet'] as const;
export type ExportFlag = (typeof EXPORT_FLAGS)[number];

export type SimulateValues = ReturnType<typeof parseSimulateArgs>['values'];

function parseSimulateArgs(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

export async function runSimulateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseSimulateArgs(argv);
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const exports = EXPORT_FLAGS.filter((flag) => values[flag] !== undefined);
  if (exports.length > 0 && values.json === true) {
    throw new GatewayError('BAD_REQUEST', 'Choose one of --csv / --arrow / --mat / --parquet and --json');
  }
  // One process, one request: each schema parses about once, so zod's compiled fast path (built
  // at a schema's first parse, ~tens of ms here in all) would cost more than it saves. Set before
  // the schemas this command uses are built (config, the simulate request, the service's).
  configureZod({ jitless: true });
  const config = loadConfig();
  markStartup('config loaded');
  // A local run needs a worker: its pool starts first, so the worker boots while the rest of the
  // code loads and the FMU is opened (remote / auto modes may forward the run, and start none).
  // The catalog and the service code are loaded after that, on purpose (docs/architecture.md).
  const local = await createLocalContext(config, { startPoolFirst: config.mode === 'local' });
  markStartup('context created');
  try {
    const { finishSimulate } = await import('./simulate-run.ts');
    markStartup('simulate code loaded');
    return await finishSimulate(local, config, positionals[0], values, exports);
  } finally {
    markStartup('output written');
    await local.close();
    markStartup('closed');
  }
}
