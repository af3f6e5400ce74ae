/**
 * `fmu-gateway simulate <file.fmu | msl:Name> …`: runs one simulation through the worker pool.
 * Default output: a short summary per output (final, min, max); --csv writes the full result;
 * --json prints the summary, provenance and the full series.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import type { SimulateCompleted } from '../schemas/simulate.ts';
import { GatewayError } from '../errors.ts';
import { createLocalContext, type LocalContext } from './local-context.ts';
import { formatNumber, renderSummaryTable, renderTable } from './output.ts';
import { readFullSeries, writeRunArrow, writeRunCsv, writeRunMat, writeRunParquet } from './result-csv.ts';
import {
  SIMULATION_OPTIONS,
  SIMULATION_OPTIONS_USAGE,
  simulateRequestFromOptions,
  type SimulationOptionValues,
} from './simulate-request.ts';
import { isSystemArgument, SYSTEM_OPTIONS, SYSTEM_OPTIONS_USAGE } from './system-options.ts';
import { escapeForText } from '../text-escape.ts';
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

/** The export flags, in the order the files are written. */
const EXPORTS = [
  { flag: 'csv', write: writeRunCsv },
  { flag: 'arrow', write: writeRunArrow },
  { flag: 'mat', write: writeRunMat },
  { flag: 'parquet', write: writeRunParquet },
] as const;

export async function runSimulateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const exports = EXPORTS.filter((e) => values[e.flag] !== undefined);
  if (exports.length > 0 && values.json === true) {
    throw new GatewayError('BAD_REQUEST', 'Choose one of --csv / --arrow / --mat / --parquet and --json');
  }
  const config = loadConfig();
  markStartup('config loaded');
  // A local run needs a worker: its pool starts first, so the worker boots while the rest of the
  // code loads and the FMU is opened (remote / auto modes may forward the run, and start none).
  // The catalog and the service code are loaded after that, on purpose (docs/architecture.md).
  const local = await createLocalContext(config, { startPoolFirst: config.mode === 'local' });
  markStartup('context created');
  try {
    const arg = positionals[0];
    if (!isSystemArgument(arg) && (values.master !== undefined || values['communication-step'] !== undefined)) {
      throw new GatewayError('BAD_REQUEST', '--master and --communication-step apply to systems (.ssp) only.');
    }
    const output = isSystemArgument(arg)
      ? await (await import('./simulate-system.ts')).simulateSspFile(local.ctx, config, arg, values)
      : await simulateFmu(local.ctx, config, arg, values);
    markStartup('simulation answered');
    for (const e of exports) {
      const path = values[e.flag] as string;
      await e.write(local.ctx, output.run_id, path);
      process.stderr.write(`wrote ${output.rows} rows to ${path}\n`);
    }
    if (values.json === true) {
      // The full series, not the downsampled one: scripts compare it against references.
      const { series: _downsampled, ...rest } = output;
      const p0 = output.provenance;
      const full = await readFullSeries(local.ctx, output.run_id, { start: p0.start_time, step: p0.step });
      process.stdout.write(`${JSON.stringify({ ...rest, series: full })}\n`);
      return 0;
    }
    const p = output.provenance;
    process.stdout.write(
      `${escapeForText(p.model_name)}: ${output.rows} rows, t = ${p.start_time} … ${p.stop_time} s, FMI ${p.fmi_version} ${p.interface}` +
        `${p.solver ? `, solver ${p.solver}` : ''}, ${formatNumber(output.stats.wall_ms)} ms\n\n`,
    );
    process.stdout.write(renderSummaryTable(output.summary));
    if (Object.keys(output.kpis).length > 0) {
      process.stdout.write(
        '\n' +
          renderTable(
            ['kpi', 'value'],
            Object.entries(output.kpis).map(([k, v]) => [k, v === null ? '-' : formatNumber(v)]),
          ),
      );
    }
    if (output.terminated_early) {
      process.stdout.write(`\nstopped early at t = ${output.terminated_early.time}: ${output.terminated_early.reason}\n`);
    }
    for (const w of output.warnings) process.stderr.write(`warning: ${escapeForText(w)}\n`);
    if (exports.length === 0) {
      const stored = join(local.ctx.results.dir, output.run_id);
      process.stdout.write(
        `\nfull result: run ${output.run_id}, stored in ${stored} (use --csv / --arrow / --mat / --parquet FILE or --json)\n`,
      );
    }
    return 0;
  } finally {
    markStartup('output written');
    await local.close();
    markStartup('closed');
  }
}

/** One FMU run through the service (loaded here, after the worker pool has started). */
async function simulateFmu(
  ctx: LocalContext['ctx'],
  config: Config,
  arg: string | undefined,
  values: SimulationOptionValues & { 'include-dir'?: string[]; define?: string[] },
): Promise<SimulateCompleted> {
  const [{ simulate }, { compileOptionsFromFlags, fmuIdFromArgument }] = await Promise.all([
    import('../service/simulate.ts'),
    import('./fmu-argument.ts'),
  ]);
  const fmuId = await fmuIdFromArgument(ctx, arg, compileOptionsFromFlags(values['include-dir'], values.define));
  return (await simulate(ctx, simulateRequestFromOptions(config, fmuId, values))).output;
}
