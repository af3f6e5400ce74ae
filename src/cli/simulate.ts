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
import { simulate } from '../service/simulate.ts';
import { compileOptionsFromFlags, fmuIdFromArgument } from './fmu-argument.ts';
import { createLocalContext } from './local-context.ts';
import { formatNumber, renderSummaryTable, renderTable } from './output.ts';
import { readFullSeries, writeRunArrow, writeRunCsv } from './result-csv.ts';
import { SIMULATION_OPTIONS, SIMULATION_OPTIONS_USAGE, simulateRequestFromOptions } from './simulate-request.ts';
import { isSystemArgument, simulateSspFile, SYSTEM_OPTIONS, SYSTEM_OPTIONS_USAGE } from './simulate-system.ts';
import { escapeForText } from '../text-escape.ts';

const USAGE = `Usage: fmu-gateway simulate <file.fmu | msl:Name | system.ssp> [options]
${SIMULATION_OPTIONS_USAGE}${SYSTEM_OPTIONS_USAGE}  --csv FILE             write the full result as CSV
  --arrow FILE           write the full result as Arrow IPC (typed columns; pyarrow, polars, DuckDB)
  --json                 print summary, provenance and the full series as JSON
  -h, --help             this text
`;

const OPTIONS = {
  ...SIMULATION_OPTIONS,
  ...SYSTEM_OPTIONS,
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
    const arg = positionals[0];
    if (!isSystemArgument(arg) && (values.master !== undefined || values['communication-step'] !== undefined)) {
      throw new GatewayError('BAD_REQUEST', '--master and --communication-step apply to systems (.ssp) only.');
    }
    const output = isSystemArgument(arg)
      ? await simulateSspFile(local.ctx, config, arg, values)
      : (
          await simulate(
            local.ctx,
            simulateRequestFromOptions(
              config,
              await fmuIdFromArgument(local.ctx, arg, compileOptionsFromFlags(values['include-dir'], values.define)),
              values,
            ),
          )
        ).output;
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
    if (values.csv === undefined && values.arrow === undefined) {
      const stored = join(local.ctx.results.dir, output.run_id);
      process.stdout.write(`\nfull result: run ${output.run_id}, stored in ${stored} (use --csv FILE or --json)\n`);
    }
    return 0;
  } finally {
    await local.close();
  }
}
