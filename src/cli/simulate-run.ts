/**
 * The part of `fmu-gateway simulate` that runs once the worker pool is starting (simulate.ts):
 * open the FMU (or the .ssp system), simulate, print the summary or write the exports.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { SimulateCompleted } from '../schemas/simulate.ts';
import { GatewayError } from '../errors.ts';
import type { LocalContext } from './local-context.ts';
import { formatNumber, renderSummaryTable, renderTable } from './output.ts';
import { readFullSeries, writeRunArrow, writeRunCsv, writeRunMat, writeRunParquet } from './result-csv.ts';
import { simulateRequestFromOptions, type SimulationOptionValues } from './simulate-request.ts';
import { isSystemArgument } from './system-options.ts';
import { escapeForText } from '../text-escape.ts';
import { markStartup } from '../startup-trace.ts';
import { simulate } from '../service/simulate.ts';
import { compileOptionsFromFlags, fmuIdFromArgument } from './fmu-argument.ts';
import type { ExportFlag, SimulateValues } from './simulate.ts';

const WRITERS: Record<ExportFlag, typeof writeRunCsv> = {
  csv: writeRunCsv,
  arrow: writeRunArrow,
  mat: writeRunMat,
  parquet: writeRunParquet,
};

export async function finishSimulate(
  local: LocalContext,
  config: Config,
  arg: string | undefined,
  values: SimulateValues,
  exports: readonly ExportFlag[],
): Promise<number> {
  if (!isSystemArgument(arg) && (values.master !== undefined || values['communication-step'] !== undefined)) {
    throw new GatewayError('BAD_REQUEST', '--master and --communication-step apply to systems (.ssp) only.');
  }
  const output = isSystemArgument(arg)
    ? await (await import('./simulate-system.ts')).simulateSspFile(local.ctx, config, arg, values)
    : await simulateFmu(local.ctx, config, arg, values);
  markStartup('simulation answered');
  for (const flag of exports) {
    const path = values[flag] as string;
    await WRITERS[flag](local.ctx, output.run_id, path);
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
}

/** One FMU run through the service. */
async function simulateFmu(
  ctx: LocalContext['ctx'],
  config: Config,
  arg: string | undefined,
  values: SimulationOptionValues & { 'include-dir'?: string[]; define?: string[] },
): Promise<SimulateCompleted> {
  const fmuId = await fmuIdFromArgument(ctx, arg, compileOptionsFromFlags(values['include-dir'], values.define));
  return (await simulate(ctx, simulateRequestFromOptions(config, fmuId, values))).output;
}
