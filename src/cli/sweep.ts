/**
 * `fmu-gateway sweep <file.fmu | msl:Name> --stop T --step H --set k=1,2,3 --set c=0.1:0.5:5
 *  [--output y,z] [--kpi y_max] [--json]`: a parameter grid through the isolated worker pool,
 * a progress bar on stderr, a table (or JSON) on stdout.
 * Exit code: 0 all runs completed, 3 some runs failed, 1 the sweep could not run.
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { createCatalog } from '../library/catalog.ts';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import { invalidArguments } from '../schemas/input-errors.ts';
import type { StartValue } from '../schemas/model-description.ts';
import { estimateRows, SolverChoiceSchema, SweepInputSchema, type SweepSuccess } from '../schemas/simulate.ts';
import { sweepRuns } from '../service/sweep-runs.ts';
import { parseCliValue, parseNumberOption } from './args.ts';
import { fmuIdFromArgument } from './fmu-argument.ts';
import { createLocalContext } from './local-context.ts';
import { formatNumber, renderTable } from './output.ts';

const USAGE = `Usage: fmu-gateway sweep <file.fmu | msl:Name> --stop T --step H --set name=values... [options]
  --set k=1,2,3          a list of values        --set c=0.1:0.5:5   5 values from 0.1 to 0.5
  --set name=value       a constant start value for every run
  --start-time T0  --output a,b  --kpi y_max,y_mean  --interface CS|ME  --solver euler|rk45|bdf
  --tolerance R  --fmi-version 2.0|3.0  --workers N  --timeout SECONDS  --json
`;

const SOLVERS = SolverChoiceSchema.options;

/** "a:b:n" → n values from a to b inclusive; "1,2,3" → the list; "2" → [2]; else undefined (not numeric). */
export function parseSweepValues(name: string, text: string): number[] | undefined {
  const range = /^\s*([^:]+):([^:]+):([^:]+)\s*$/.exec(text);
  if (range !== null) {
    const [a, b, n] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![a, b].every(Number.isFinite) || !Number.isInteger(n) || n < 1) {
      throw new GatewayError('BAD_REQUEST', `--set ${name}=${text}: a range is start:stop:count with a whole count ≥ 1, e.g. 0.1:0.5:5`);
    }
    if (n === 1) return [a];
    return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
  }
  const parts = text.split(',');
  const values = parts.map((p) => parseCliValue(p));
  if (values.every((v) => typeof v === 'number')) return values as number[];
  if (parts.length > 1) throw new GatewayError('BAD_REQUEST', `--set ${name}=${text}: list values must all be numbers`);
  return undefined;
}

function progressBar(done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

function renderSweepTable(out: SweepSuccess): string {
  const first = out.runs.find((r) => r.status === 'completed');
  const outputs = Object.keys(first?.summary ?? {});
  const kpis = Object.keys(first?.kpis ?? {});
  const header = ['#', ...out.parameters, 'status', ...outputs.map((o) => `${o} (final)`), ...kpis];
  const cell = (v: number | string | boolean | null | undefined): string => (typeof v === 'number' ? formatNumber(v) : String(v ?? '-'));
  const rows = out.runs.map((r) => [
    String(r.index),
    ...out.parameters.map((p) => cell(r.start_values[p])),
    r.status === 'completed' ? 'ok' : `failed: ${r.error?.code ?? '?'}`,
    ...outputs.map((o) => cell(r.summary?.[o]?.final)),
    ...kpis.map((k) => cell(r.kpis?.[k])),
  ]);
  const failures = out.runs
    .filter((r) => r.status === 'failed')
    .slice(0, 5)
    .map((r) => `  run ${r.index}: [${r.error?.code}] ${r.error?.message}`);
  const stored = out.sweep_id === undefined ? '' : `sweep ${out.sweep_id}: fmu-gateway report ${out.sweep_id} --out DIR\n`;
  const footer = `${out.completed}/${out.total} completed in ${(out.wall_ms / 1000).toFixed(2)} s\n${stored}`;
  return renderTable(header, rows) + (failures.length > 0 ? `${failures.join('\n')}\n` : '') + footer;
}

export async function runSweepCommand(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stop: { type: 'string' },
      step: { type: 'string' },
      'start-time': { type: 'string' },
      set: { type: 'string', multiple: true },
      output: { type: 'string' },
      kpi: { type: 'string' },
      interface: { type: 'string' },
      solver: { type: 'string' },
      tolerance: { type: 'string' },
      'fmi-version': { type: 'string' },
      workers: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const target = positionals[0];
  const stopTime = parseNumberOption('stop', o.stop);
  const step = parseNumberOption('step', o.step);
  if (target === undefined || stopTime === undefined || step === undefined || (o.set ?? []).length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const parameters: Record<string, number[]> = {};
  const constants: Record<string, StartValue> = {};
  for (const pair of o.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new GatewayError('BAD_REQUEST', `--set expects name=values, got "${pair}"`);
    const name = pair.slice(0, eq).trim();
    const list = parseSweepValues(name, pair.slice(eq + 1));
    if (list === undefined || list.length === 1) constants[name] = list?.[0] ?? parseCliValue(pair.slice(eq + 1));
    else parameters[name] = list;
  }
  if (Object.keys(parameters).length === 0) {
    throw new GatewayError('BAD_REQUEST', 'Nothing to sweep: give at least one --set with several values (k=1,2,3 or k=0:1:5).');
  }
  const iface = o.interface?.toUpperCase();
  if (iface !== undefined && iface !== 'CS' && iface !== 'ME')
    throw new GatewayError('BAD_REQUEST', `--interface must be CS or ME, got "${o.interface}"`);
  const fmiVersion = o['fmi-version'];
  if (fmiVersion !== undefined && fmiVersion !== '2.0' && fmiVersion !== '3.0')
    throw new GatewayError('BAD_REQUEST', '--fmi-version must be 2.0 or 3.0');
  const solver = o.solver === undefined ? undefined : SOLVERS.find((s) => s === o.solver);
  if (o.solver !== undefined && solver === undefined)
    throw new GatewayError('BAD_REQUEST', `--solver must be one of ${SOLVERS.join(', ')}, got "${o.solver}"`);

  const baseConfig = loadConfig();
  const timeout = parseNumberOption('timeout', o.timeout);
  const config: Config =
    timeout === undefined ? baseConfig : { ...baseConfig, limits: { ...baseConfig.limits, simTimeoutSeconds: timeout } };
  const startTime = parseNumberOption('start-time', o['start-time']);
  // Refuse a bad grid once, up front, by the flags' names, before any model is opened.
  const t0 = startTime ?? 0;
  if (!(stopTime > t0)) throw new GatewayError('BAD_REQUEST', `--stop (${stopTime}) must be greater than --start-time (${t0})`);
  if (!(step > 0)) throw new GatewayError('BAD_REQUEST', `--step must be > 0, got ${step}`);
  const rows = estimateRows(t0, stopTime, step);
  if (rows > config.limits.maxOutputRows) {
    throw new GatewayError(
      'BAD_REQUEST',
      `Each run would record ${rows} rows, more than MAX_OUTPUT_ROWS (${config.limits.maxOutputRows}): use a larger --step.`,
    );
  }
  const tolerance = parseNumberOption('tolerance', o.tolerance);
  const workers = parseNumberOption('workers', o.workers);
  const list = (text: string | undefined): string[] | undefined =>
    text
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const local = await createLocalContext(config, { catalog: createCatalog(), poolSize: workers ?? config.pool.size });
  try {
    // The same use case as MCP `sweep`: every run is stored, and the sweep is recorded for `report`.
    const request = {
      fmu_id: await fmuIdFromArgument(local.ctx, target),
      stop_time: stopTime,
      step,
      ...(startTime !== undefined ? { start_time: startTime } : {}),
      ...(Object.keys(constants).length > 0 ? { start_values: constants } : {}),
      parameters: Object.entries(parameters).map(([name, values]) => ({ name, values })),
      ...(iface !== undefined ? { interface: iface } : {}),
      ...(solver !== undefined ? { solver } : {}),
      ...(tolerance !== undefined ? { tolerance } : {}),
      ...(fmiVersion !== undefined ? { fmi_version: fmiVersion } : {}),
      ...(o.output !== undefined ? { outputs: list(o.output) } : {}),
      ...(o.kpi !== undefined ? { kpis: list(o.kpi) } : {}),
    };
    const parsed = SweepInputSchema.safeParse(request);
    if (!parsed.success) throw invalidArguments('sweep', SweepInputSchema, parsed.error);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      const { output } = await sweepRuns(local.ctx, parsed.data, { signal: ac.signal, callerId: LOCAL_CALLER, onRunDone: progressBar });
      process.stdout.write(o.json === true ? `${JSON.stringify(output, null, 2)}\n` : renderSweepTable(output));
      return output.failed === 0 ? 0 : 3;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await local.close();
  }
}
