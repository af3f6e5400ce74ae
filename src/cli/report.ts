/**
 * `fmu-gateway report RUN_ID|SWEEP_ID --out DIR [--purpose T] [--title T] [--variables a,b]
 * [--limit "var.kpi>=x"]... [--config FILE.json] [--json]`: writes report.json, report.md and
 * report.png of a stored run or sweep into DIR. The run or sweep is looked up in the local store
 * (runs of `simulate` / `sweep` here); when it is not there and FMU_GATEWAY_URL is set, the
 * gateway there writes the report (with FMU_GATEWAY_API_KEY or the key `run --auto` remembered)
 * and its three files are downloaded.
 * Exit code: 0 the report was written (whatever its verdict), 5 written and a limit failed,
 * 1 it could not be written.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError, isGatewayError } from '../errors.ts';
import { createCatalog } from '../library/catalog.ts';
import type { GatewayClient } from '../remote/index.ts';
import { REPORT_KPIS, ReportOptionsSchema, type ReportKpi, type ReportLimit, type ReportOptions, type Report } from '../schemas/report.ts';
import { buildReport, REPORT_FILES, writeReportFiles } from '../service/report.ts';
import { SWEEP_ID_PATTERN } from '../service/sweep-store.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { escapeForText } from '../text-escape.ts';
import { createLocalContext } from './local-context.ts';

/** Exit code of a report whose verdict is "fail": written, but a limit was missed. */
export const EXIT_LIMIT_FAILED = 5;

const USAGE = `Usage: fmu-gateway report RUN_ID|SWEEP_ID --out DIR [options]
  --out DIR              where report.json, report.md and report.png are written (created)
  --purpose TEXT         the study's question, quoted in the brief
  --title TEXT           the report's title (default: model and run/sweep)
  --variables a,b        outputs to report and chart (default: limited ones, then up to 6)
  --limit "VAR.KPI>=X"   a pass/fail check; also <=, or VAR.KPI=LO..HI; repeatable.
                         KPI one of ${REPORT_KPIS.join(', ')}
  --config FILE          JSON of the options above: {purpose, title, variables, limits: [{variable, kpi, min, max}]}
  --json                 print report.json on stdout too
  -h, --help             this text
Exit code: 0 written, ${EXIT_LIMIT_FAILED} written and a limit failed, 1 not written.
`;

const OPTIONS = {
  out: { type: 'string' },
  purpose: { type: 'string' },
  title: { type: 'string' },
  variables: { type: 'string' },
  limit: { type: 'string', multiple: true },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const KPIS = new Set<string>(REPORT_KPIS);

/** "h_mm.max<=50", "capacity_margin.min>=20", "p_bar.max=100..130" → a limit (the variable may contain dots). */
export function parseLimit(text: string): ReportLimit {
  const bad = (why: string) =>
    new GatewayError('BAD_REQUEST', `--limit "${escapeForText(text, 200)}": ${why}`, {
      hint: 'Write VARIABLE.KPI>=MIN, VARIABLE.KPI<=MAX or VARIABLE.KPI=MIN..MAX, e.g. --limit "capacity_margin.min>=20".',
    });
  const m = /^(.+)\.([a-z_]+)\s*(>=|<=|=)\s*(.+)$/.exec(text.trim());
  if (m === null) throw bad('not VARIABLE.KPI>=X, VARIABLE.KPI<=X or VARIABLE.KPI=LO..HI');
  const [, variable, kpi, op, rest] = m as unknown as [string, string, string, string, string];
  if (!KPIS.has(kpi)) throw bad(`"${kpi}" is not a report KPI (${REPORT_KPIS.join(', ')})`);
  const num = (s: string): number => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v)) throw bad(`"${escapeForText(s, 50)}" is not a number`);
    return v;
  };
  if (op === '>=') return { variable: variable.trim(), kpi: kpi as ReportKpi, min: num(rest) };
  if (op === '<=') return { variable: variable.trim(), kpi: kpi as ReportKpi, max: num(rest) };
  const range = /^(.+?)\.\.(.+)$/.exec(rest);
  if (range === null) throw bad('"=" takes a range LO..HI');
  return { variable: variable.trim(), kpi: kpi as ReportKpi, min: num(range[1] as string), max: num(range[2] as string) };
}

/** Limits on the same figure given as ">=" and "<=" become one limit with both bounds. */
function mergeLimits(limits: readonly ReportLimit[]): ReportLimit[] {
  const out: ReportLimit[] = [];
  for (const l of limits) {
    const same = out.find((o) => o.variable === l.variable && o.kpi === l.kpi);
    if (same === undefined) out.push({ ...l });
    else Object.assign(same, l.min !== undefined ? { min: l.min } : {}, l.max !== undefined ? { max: l.max } : {});
  }
  return out;
}

function optionsFrom(values: { purpose?: string; title?: string; variables?: string; limit?: string[]; config?: string }): ReportOptions {
  let base: Record<string, unknown> = {};
  if (values.config !== undefined) {
    try {
      base = JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new GatewayError('BAD_REQUEST', `--config ${values.config}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const merged = {
    ...base,
    ...(values.purpose !== undefined ? { purpose: values.purpose } : {}),
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(values.variables !== undefined
      ? {
          variables: values.variables
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        }
      : {}),
    ...(values.limit !== undefined
      ? { limits: mergeLimits([...((base.limits as ReportLimit[] | undefined) ?? []), ...values.limit.map(parseLimit)]) }
      : {}),
  };
  const parsed = ReportOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new GatewayError(
      'BAD_REQUEST',
      `Report options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The report written by the gateway at FMU_GATEWAY_URL (its key: see createRemoteClient), its files downloaded into `out`. */
async function remoteReport(client: GatewayClient, id: string, options: ReportOptions, out: string): Promise<Report> {
  const created = await client.createReport(SWEEP_ID_PATTERN.test(id) ? 'sweep' : 'run', id, options);
  mkdirSync(out, { recursive: true });
  for (const [file, link] of [
    [REPORT_FILES.json, created.files.json],
    [REPORT_FILES.markdown, created.files.markdown],
    [REPORT_FILES.png, created.files.png],
  ] as const) {
    writeFileAtomic(join(out, file), await client.downloadReportFile(link));
  }
  return created.report;
}

export async function runReportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const id = positionals[0];
  if (id === undefined || values.out === undefined || positionals.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const options = optionsFrom(values);
  const out = resolve(values.out);
  // Up front: a path that cannot be a folder (a file, or under one) is the caller's mistake, told
  // by its code before any work, not a crash after the report is built.
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new GatewayError('BAD_REQUEST', `--out ${escapeForText(out, 300)}: cannot be created as a folder (${code})`, {
      hint: 'Give a folder path, new or existing, not a file.',
    });
  }
  const config = loadConfig();
  const local = await createLocalContext(config, { catalog: createCatalog() });
  let report: Report | undefined;
  try {
    try {
      const written = await buildReport(local.ctx, id, options);
      writeReportFiles(out, written);
      report = written.report;
    } catch (e) {
      // Not here: the configured gateway may have it (runs of `run --auto` there, its sweeps).
      if (!(isGatewayError(e) && e.code === 'NOT_FOUND')) throw e;
      if (local.ctx.remote === undefined) throw e;
      report = await remoteReport(local.ctx.remote, id, options, out);
    }
  } finally {
    await local.close();
  }
  if (values.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const verdict = report.verdict === 'no_limits' ? 'no limits given' : report.verdict === 'pass' ? 'PASS' : 'FAIL';
  process.stderr.write(
    `${escapeForText(report.title, 200)}: ${verdict}\nwrote ${join(out, REPORT_FILES.json)}, ${REPORT_FILES.markdown}, ${REPORT_FILES.png}\n`,
  );
  for (const f of report.findings) process.stderr.write(`  ${escapeForText(f, 500)}\n`);
  return report.verdict === 'fail' ? EXIT_LIMIT_FAILED : 0;
}
