/**
 * `fmu-gateway sweep <file.fmu | msl:Name> --stop T --step H --set k=1,2,3 --set c=0.1:0.5:5
 *  [--output y,z] [--kpi y_max] [--json]`: a parameter grid through the isolated worker pool,
 * a progress bar on stderr, a table (or JSON) on stdout.
 * Exit code: 0 all runs completed, 3 some runs failed, 1 the sweep could not run.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { openFmu } from '../fmi/archive.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { SimulationJob } from '../runner/types.ts';
import type { InterfaceKind, StartValue } from '../schemas/model-description.ts';
import { estimateRows, SolverChoiceSchema } from '../schemas/simulate.ts';
import { planInterface } from '../service/simulate-plan.ts';
import { sweep } from '../service/sweep.ts';
import type { SweepResult } from '../service/sweep.ts';
import { parseCliValue, parseNumberOption } from './args.ts';
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

async function openTarget(target: string, config: Config, fmiVersion: '2.0' | '3.0' | undefined): Promise<OpenedFmu> {
  // The same archive limits as uploads (MAX_FMU_MB, MAX_UNPACKED_MB, MAX_ZIP_ENTRIES, MAX_COMPRESSION_RATIO).
  const opts = {
    cacheDir: config.cacheDir,
    limits: {
      maxArchiveBytes: config.limits.maxFmuBytes,
      maxUnpackedBytes: config.limits.maxUnpackedBytes,
      maxEntries: config.limits.maxZipEntries,
      maxCompressionRatio: config.limits.maxCompressionRatio,
    },
  };
  if (target.startsWith('msl:')) {
    const { createCatalog } = await import('../library/catalog.ts');
    const { fmuPath } = createCatalog().resolve(target, fmiVersion);
    return openFmu({ path: fmuPath }, opts);
  }
  return openFmu({ path: target }, opts);
}

function progressBar(done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

function renderSweepTable(result: SweepResult, swept: string[]): string {
  const first = result.runs.find((r) => r.status === 'completed');
  const outputs = Object.keys(first?.final ?? {});
  const kpis = Object.keys(first?.kpis ?? {});
  const header = ['#', ...swept, 'status', ...outputs.map((o) => `${o} (final)`), ...kpis];
  const cell = (v: number | string | null | undefined): string => (typeof v === 'number' ? formatNumber(v) : String(v ?? '-'));
  const rows = result.runs.map((r) => [
    String(r.index),
    ...swept.map((p) => cell(r.start_values[p] as number | string | undefined)),
    r.status === 'completed' ? 'ok' : `failed: ${r.error?.code ?? '?'}`,
    ...outputs.map((o) => cell(r.final?.[o])),
    ...kpis.map((k) => cell(r.kpis?.[k])),
  ]);
  const failures = result.runs
    .filter((r) => r.status === 'failed')
    .slice(0, 5)
    .map((r) => `  run ${r.index}: [${r.error?.code}] ${r.error?.message}`);
  const footer = `${result.completed}/${result.total} completed in ${(result.wall_ms / 1000).toFixed(2)} s\n`;
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

  const config = loadConfig();
  const startTime = parseNumberOption('start-time', o['start-time']) ?? 0;
  // Refuse a bad grid once, up front, rather than in every run of the sweep.
  if (!(stopTime > startTime))
    throw new GatewayError('BAD_REQUEST', `--stop (${stopTime}) must be greater than --start-time (${startTime})`);
  if (!(step > 0)) throw new GatewayError('BAD_REQUEST', `--step must be > 0, got ${step}`);
  const rows = estimateRows(startTime, stopTime, step);
  if (rows > config.limits.maxOutputRows) {
    throw new GatewayError(
      'BAD_REQUEST',
      `Each run would record ${rows} rows, more than MAX_OUTPUT_ROWS (${config.limits.maxOutputRows}): use a larger --step.`,
    );
  }
  mkdirSync(config.cacheDir, { recursive: true });
  const fmu = await openTarget(target, config, fmiVersion);
  const options: SimulationJob['options'] = {
    startTime,
    stopTime,
    outputInterval: step,
    startValues: constants,
  };
  // The same interface rules as simulate: an interface the FMU has, a solver only with ME.
  options.interface = planInterface(fmu.modelDescription, {
    ...(iface !== undefined ? { interface: iface as InterfaceKind } : {}),
    ...(solver !== undefined ? { solver } : {}),
  });
  if (solver !== undefined && solver !== 'auto') options.solver = solver;
  const tolerance = parseNumberOption('tolerance', o.tolerance);
  if (tolerance !== undefined) options.tolerance = tolerance;
  if (o.output !== undefined)
    options.outputs = o.output
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');

  const workers = parseNumberOption('workers', o.workers);
  const timeout = parseNumberOption('timeout', o.timeout);
  const pool = createWorkerPool({
    size: workers ?? config.pool.size,
    timeoutMs: (timeout ?? config.limits.simTimeoutSeconds) * 1000,
    memoryMb: config.limits.simMemoryMb,
    maxOutputRows: config.limits.maxOutputRows,
    sandbox: 'auto',
    cacheDir: config.cacheDir,
    // One user, one FMU: every worker may run its runs, and no spare is kept for anyone else.
    maxBusyPerCaller: workers ?? config.pool.size,
    spareWorkers: 0,
  });
  if (pool.isolation.level !== 'sandboxed') {
    process.stderr.write(`fmu-gateway: running without a sandbox (${pool.isolation.missing.join('; ')})\n`);
  }
  try {
    const job: SimulationJob = {
      fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
      options,
    };
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    const result = await sweep(
      pool,
      job,
      { parameters },
      {
        kpis:
          o.kpi
            ?.split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '') ?? [],
        onProgress: progressBar,
        signal: ac.signal,
        callerId: 'cli',
      },
    );
    process.off('SIGINT', onSigint);
    process.stdout.write(o.json === true ? `${JSON.stringify(result, null, 2)}\n` : renderSweepTable(result, Object.keys(parameters)));
    return result.failed === 0 ? 0 : 3;
  } finally {
    await pool.close();
  }
}
