/**
 * `fmu-gateway simulate <file.fmu | msl:Name> …`: runs one simulation through the worker pool.
 * Default output: a short summary per output (final, min, max); --csv writes the full result;
 * --json prints the summary, provenance and the full series.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { createCatalog } from '../library/catalog.ts';
import { invalidArguments } from '../schemas/input-errors.ts';
import { createSimulateInputSchema, type SimulateInput } from '../schemas/simulate.ts';
import { simulate } from '../service/simulate.ts';
import { parseInputCsv, parseNumberOption, parseSetValues } from './args.ts';
import { fmuIdFromArgument } from './fmu-argument.ts';
import { createLocalContext } from './local-context.ts';
import { formatNumber, renderTable } from './output.ts';
import { readFullSeries, writeRunArrow, writeRunCsv } from './result-csv.ts';

const USAGE = `Usage: fmu-gateway simulate <file.fmu | msl:Name> [options]
  --stop T               stop time, s (default: the model's default experiment)
  --step H               output interval, s (default: the default experiment's, else span / 500)
  --start-time T0        start time, s (default 0 or the default experiment's)
  --set name=value       start value of a parameter, input or state (repeatable)
  --input in.csv         input signals: header time,<input1>,...; linear for reals, held otherwise
  --output a,b           variables to record (default: every output)
  --kpi y_max            key figure <variable>_<metric> (repeatable)
  --interface CS|ME      default CS when the FMU has it
  --solver euler|rk45|bdf|auto   Model Exchange only (with --interface ME)
  --tolerance R          relative tolerance
  --fmi-version 2.0|3.0  library models: which build (default 3.0)
  --csv FILE             write the full result as CSV
  --arrow FILE           write the full result as Arrow IPC (typed columns; pyarrow, polars, DuckDB)
  --json                 print summary, provenance and the full series as JSON
  -h, --help             this text
`;

const OPTIONS = {
  stop: { type: 'string' },
  step: { type: 'string' },
  'start-time': { type: 'string' },
  set: { type: 'string', multiple: true },
  output: { type: 'string' },
  input: { type: 'string' },
  interface: { type: 'string' },
  solver: { type: 'string' },
  tolerance: { type: 'string' },
  'fmi-version': { type: 'string' },
  kpi: { type: 'string', multiple: true },
  csv: { type: 'string' },
  arrow: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runSimulateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((values.csv !== undefined || values.arrow !== undefined) && values.json === true) {
    throw new GatewayError('BAD_REQUEST', 'Choose one of --csv / --arrow and --json');
  }
  const config = loadConfig();
  const local = createLocalContext(config, { catalog: createCatalog() });
  try {
    const fmuId = fmuIdFromArgument(local.ctx, positionals[0]);
    const raw = {
      fmu_id: fmuId,
      start_time: parseNumberOption('start-time', values['start-time']),
      stop_time: parseNumberOption('stop', values.stop),
      step: parseNumberOption('step', values.step),
      interface: values.interface?.toUpperCase(),
      solver: values.solver,
      tolerance: parseNumberOption('tolerance', values.tolerance),
      fmi_version: values['fmi-version'],
      start_values: values.set !== undefined ? parseSetValues(values.set) : undefined,
      input_signals: values.input !== undefined ? parseInputCsv(values.input) : undefined,
      outputs: values.output
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
      kpis: values.kpi,
    };
    const schema = createSimulateInputSchema(config.limits);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw invalidArguments('simulate', schema, parsed.error);
    const input: SimulateInput = parsed.data;
    const { output } = await simulate(local.ctx, input);
    if (values.csv !== undefined) {
      await writeRunCsv(local.ctx, output.run_id, values.csv);
      process.stderr.write(`wrote ${output.rows} rows to ${values.csv}\n`);
    }
    if (values.arrow !== undefined) {
      await writeRunArrow(local.ctx, output.run_id, values.arrow);
      process.stderr.write(`wrote ${output.rows} rows to ${values.arrow}\n`);
    }
    if (values.json === true) {
      // The full series, not the downsampled one: scripts compare it against references.
      const { series: _downsampled, ...rest } = output;
      const full = await readFullSeries(local.ctx, output.run_id);
      process.stdout.write(`${JSON.stringify({ ...rest, series: full })}\n`);
      return 0;
    }
    const p = output.provenance;
    process.stdout.write(
      `${p.model_name}: ${output.rows} rows, t = ${p.start_time} … ${p.stop_time} s, FMI ${p.fmi_version} ${p.interface}` +
        `${p.solver ? `, solver ${p.solver}` : ''}, ${formatNumber(output.stats.wall_ms)} ms\n\n`,
    );
    const rows = Object.entries(output.summary).map(([name, s]) => [
      name,
      formatNumber(s.final),
      formatNumber(s.min),
      formatNumber(s.max),
      s.unit ?? '',
    ]);
    process.stdout.write(renderTable(['output', 'final', 'min', 'max', 'unit'], rows));
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
    for (const w of output.warnings) process.stderr.write(`warning: ${w}\n`);
    if (values.csv === undefined && values.arrow === undefined) {
      const stored = join(local.ctx.results.dir, output.run_id);
      process.stdout.write(`\nfull result: run ${output.run_id}, stored in ${stored} (use --csv FILE or --json)\n`);
    }
    return 0;
  } finally {
    await local.close();
  }
}
