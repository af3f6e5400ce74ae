/**
 * `fmu-gateway run [<file.fmu | msl:Name> | --fmu PATH] [--auto] [--config FILE] [--quote]
 * [--payment-token T] [--out DIR]`: the quick start of the original gateway's
 * `run_fmu_simulation.py --auto`. --auto picks a gateway (FMU_GATEWAY_URL, else a local serve
 * on :8000, else this process: gateway-probe.ts), creates and remembers an API key per gateway,
 * uploads only when the gateway lacks the bytes, simulates, and saves result.csv, summary.json
 * and plot.png. --config takes a JSON of simulate fields as the original's (stop_time, step,
 * start_values, input_signals {name, t, u}, kpis); options on the command line win. --quote asks
 * the chosen gateway for the price and exits 0 when the run is free, 4 when payment is due; a run
 * that needs payment also exits 4 with the checkout data (then `fmu-gateway redeem SESSION_ID`).
 */
import { writeRunCsv } from './result-csv.ts';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { compatSimulateFields } from '../schemas/compat.ts';
import { toErrorOutput, type PaymentRequired } from '../schemas/errors.ts';
import type { QuoteSuccess } from '../schemas/payments.ts';
import type { SimulateCompleted, SimulateInput } from '../schemas/simulate.ts';
import type { ServiceContext } from '../service/context.ts';
import { remoteRunCsv } from '../service/forward.ts';
import { placeRun, type Placement } from '../service/placement.ts';
import { quote } from '../service/quote.ts';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import { renderPng } from '../report/chart.ts';
import { plotStoredRun } from '../report/result-chart.ts';
import { simulate } from '../service/simulate.ts';
import { compileOptionsFromFlags, fmuIdFromArgument } from './fmu-argument.ts';
import { chooseGateway, configFor } from './gateway-probe.ts';
import { createLocalContext } from './local-context.ts';
import { escapeForText } from '../text-escape.ts';
import { formatNumber, renderSummaryTable } from './output.ts';
import { keyFor } from './remote-keys.ts';
import { SIMULATION_OPTIONS, SIMULATION_OPTIONS_USAGE, simulateRequestFromOptions } from './simulate-request.ts';

/** Exit code when the run needs payment (or --quote of a paid run): the caller pays, then runs with --payment-token. */
export const EXIT_PAYMENT = 4;

const USAGE = `Usage: fmu-gateway run [<file.fmu | msl:Name> | --fmu PATH] [--auto] [options]
  --auto                 pick a gateway: FMU_GATEWAY_URL, else a local serve at FMU_GATEWAY_LOCAL_URL
                         (default http://127.0.0.1:8000), else run in this process
  --fmu PATH             the FMU (as the original's run_fmu_simulation.py); default: the one .fmu here
  --config FILE          JSON of simulate fields: stop_time, step, start_values, input_signals
                         ({name, t, u} or {name, time, values}), kpis, ...; options below win
  --quote                print the price asked by the chosen gateway; exit 0 when free, ${EXIT_PAYMENT} when payment is due
  --payment-token T      pay with a token from a paid checkout (fmu-gateway redeem SESSION_ID)
  --out DIR              output folder (default ./fmu-gateway-runs/<run_id>)
${SIMULATION_OPTIONS_USAGE}  --json                 print the summary as JSON instead of a table
  -h, --help             this text
`;

const OPTIONS = {
  ...SIMULATION_OPTIONS,
  auto: { type: 'boolean' },
  fmu: { type: 'string' },
  config: { type: 'string' },
  quote: { type: 'boolean' },
  'payment-token': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The simulate fields of a --config file (the original's JSON shape accepted). */
function configFileFields(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GatewayError('BAD_REQUEST', `--config ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'Give a JSON file such as {"stop_time": 10, "step": 0.01, "start_values": {"k": 2}, "kpis": ["x_max"]}.',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('BAD_REQUEST', `--config ${path}: the file must hold one JSON object of simulate fields`);
  }
  const { fmu_id: _id, ...fields } = compatSimulateFields(parsed as Record<string, unknown>);
  return fields;
}

/** No FMU named: the one .fmu in the current folder, as the original's script looked for. */
function fmuInCwd(): string {
  const found = readdirSync('.').filter((f) => f.endsWith('.fmu'));
  if (found.length === 1 && found[0] !== undefined) return resolve(found[0]);
  throw new GatewayError(
    'BAD_REQUEST',
    found.length === 0 ? 'No FMU given and no .fmu in this folder' : `No FMU given and ${found.length} .fmu files here`,
    {
      hint: 'Name one: fmu-gateway run model.fmu (or --fmu model.fmu, or msl:BouncingBall).',
    },
  );
}

export async function runRunCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const base = loadConfig();
  let config: Config = base;
  if (values.auto === true) {
    const choice = await chooseGateway(base);
    process.stderr.write(`gateway: ${choice.where === 'remote' ? choice.url : 'in-process'} (${choice.reason})\n`);
    config = configFor(base, choice);
  }
  const local = await createLocalContext(config, { catalog: (await import('../library/catalog.ts')).createCatalog() });
  try {
    const ctx = local.ctx;
    const fmuArg = positionals[0] ?? values.fmu ?? fmuInCwd();
    const fmuId = await fmuIdFromArgument(ctx, fmuArg, compileOptionsFromFlags(values['include-dir'], values.define));
    const extra = values['payment-token'] !== undefined ? { payment_token: values['payment-token'] } : {};
    const defaults = values.config !== undefined ? configFileFields(values.config) : {};
    const input = simulateRequestFromOptions(config, fmuId, values, extra, defaults);
    const placement = await placeRun(ctx, input.fmu_id, {
      ...(input.fmi_version !== undefined ? { fmiVersion: input.fmi_version } : {}),
      ...(input.interface !== undefined ? { interface: input.interface } : {}),
    });
    if (placement.where === 'remote') {
      const { key, created } = await keyFor(config, placement.client);
      if (created) process.stderr.write(`created an API key for ${placement.client.baseUrl} (kept in ${config.configDir}/keys.json)\n`);
      const client = placement.client.hasApiKey ? placement.client : placement.client.withApiKey(key);
      ctx.remote = client;
      placement.client = client;
      process.stderr.write(`running on ${client.baseUrl}: ${placement.reason}\n`);
    }
    if (values.quote === true) return await printQuote(ctx, input, placement);
    let output: SimulateCompleted;
    try {
      output = (await simulate(ctx, input)).output;
    } catch (e) {
      const out = toErrorOutput(e);
      if (out.status === 'payment_required') return printPayment(out);
      throw e;
    }
    const dir = resolve(values.out ?? join('fmu-gateway-runs', output.run_id));
    const files = await saveRun(ctx, output, dir);
    if (values.json === true) process.stdout.write(`${JSON.stringify(output)}\n`);
    else printSummary(output, files);
    return 0;
  } finally {
    await local.close();
  }
}

async function printQuote(ctx: ServiceContext, input: SimulateInput, placement: Placement): Promise<number> {
  const q: QuoteSuccess =
    placement.where === 'remote' ? await placement.client.quote(input) : await quote(ctx, input, { callerId: LOCAL_CALLER });
  process.stdout.write(`${JSON.stringify(q, null, 2)}\n`);
  const price = q.payment_required ? `${formatNumber(q.amount)} ${q.currency.toUpperCase()}` : 'free';
  process.stderr.write(`price: ${price} for ~${q.estimated_rows} rows${q.checkout ? `; pay at ${q.checkout.checkout_url}` : ''}\n`);
  if (q.checkout_unavailable !== undefined) process.stderr.write(`no checkout now: ${q.checkout_unavailable.message}\n`);
  return q.payment_required ? EXIT_PAYMENT : 0;
}

function printPayment(p: PaymentRequired): number {
  process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
  process.stderr.write(
    `payment required: ${formatNumber(p.amount)} ${p.currency.toUpperCase()}. Pay at ${p.checkout_url}, then \`fmu-gateway redeem ${p.session_id}\` for a token and run again with --payment-token <token>.\n`,
  );
  return EXIT_PAYMENT;
}

interface SavedFiles {
  dir: string;
  csv: string;
  summary: string;
  plot?: string;
}

async function saveRun(ctx: ServiceContext, output: SimulateCompleted, dir: string): Promise<SavedFiles> {
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'result.csv');
  const remotePath = await remoteRunCsv(ctx, output.run_id);
  if (remotePath !== undefined) copyFileSync(remotePath, csv);
  else await writeRunCsv(ctx, output.run_id, csv);
  const summary = join(dir, 'summary.json');
  writeFileSync(summary, `${JSON.stringify(output, null, 2)}\n`);
  const files: SavedFiles = { dir, csv, summary };
  const p = output.provenance;
  const title = `${p.model_name} (FMI ${p.fmi_version}, ${p.interface})`;
  // Every row: the stored result here, the downloaded CSV for a remote run (report/chart.ts).
  const png = remotePath !== undefined ? plotOfCsv(output, csv, title) : await plotStoredRun(ctx.results, output.run_id, { title });
  if (png !== undefined) {
    files.plot = join(dir, 'plot.png');
    writeFileSync(files.plot, png);
  }
  return files;
}

/** The cells of a CSV line with quoted fields (a String output's text may hold commas). */
function splitQuoted(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** The plot of a remote run from its full CSV (numeric outputs of the summary; types unknown here: lines). */
function plotOfCsv(output: SimulateCompleted, path: string, title: string): Buffer | undefined {
  const [head = '', ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = head.split(',');
  const wanted = names.flatMap((name, i) => (i > 0 && output.summary[name] !== undefined ? [{ name, i }] : []));
  if (wanted.length === 0 || lines.length === 0) return undefined;
  const time = new Array<number>(lines.length);
  const values = wanted.map(() => new Array<number | null>(lines.length));
  lines.forEach((line, r) => {
    const cells = line.includes('"') ? splitQuoted(line) : line.split(',');
    time[r] = Number(cells[0]);
    wanted.forEach((w, k) => {
      const v = Number(cells[w.i]);
      (values[k] as (number | null)[])[r] = Number.isFinite(v) ? v : null;
    });
  });
  const series = wanted.map((w, k) => {
    const unit = output.summary[w.name]?.unit;
    const s = { name: w.name, values: values[k] as (number | null)[] };
    return unit === undefined ? s : { ...s, unit };
  });
  return renderPng({ title, time, series });
}

function printSummary(output: SimulateCompleted, files: SavedFiles): void {
  const p = output.provenance;
  const where = p.executed_on === 'remote' ? `remote ${p.remote_url ?? ''}` : 'this machine';
  process.stdout.write(
    `${escapeForText(p.model_name)}: ${output.rows} rows, t = ${p.start_time} … ${p.stop_time} s, FMI ${p.fmi_version} ${p.interface}, ran on ${where}\n\n`,
  );
  process.stdout.write(renderSummaryTable(output.summary));
  process.stdout.write(`\nsaved: ${files.csv}\n       ${files.summary}\n${files.plot !== undefined ? `       ${files.plot}\n` : ''}`);
}
