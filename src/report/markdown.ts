/**
 * report.md: the brief an engineer can send (purpose, verdict, setup, parameters, inputs, results,
 * limits, findings, chart, provenance), rendered from the Report object alone so its tables say
 * exactly what report.json says. Numbers use one rule (formatNumber: 6 significant digits).
 *
 * Every string that came from an FMU or a caller (names, units, descriptions, purpose) is escaped
 * for a table cell: control characters made visible, "|" and Markdown's active characters
 * backslash-escaped, so a variable name cannot add a column, a row or a link.
 */
import type { Report, ReportKpi } from '../schemas/report.ts';
import { escapeForText } from '../text-escape.ts';
import { formatNumber, kpiUnit } from './format.ts';

/** Markdown-inert text: visible escapes for controls, backslashes before active characters. */
export function mdText(s: string, maxChars = 500): string {
  return escapeForText(s, maxChars).replace(/([\\`*_[\]<|])/g, '\\$1');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

function withUnit(label: string, unit: string | undefined): string {
  return unit === undefined || unit === '' ? label : `${label} (${unit})`;
}

/** Header of a KPI column of the sweep table: "<variable> <kpi> (unit)". */
export function kpiHeader(variable: string, kpi: ReportKpi, unit: string | undefined): string {
  return mdText(withUnit(`${variable} ${kpi}`, kpiUnit(kpi, unit)));
}

function value(v: number | boolean | string): string {
  return typeof v === 'number' ? formatNumber(v) : mdText(String(v));
}

/** The KPI columns of a sweep's results table: each limit's figure, then final/min/max per variable. */
export function sweepColumns(report: Report): { variable: string; kpi: ReportKpi }[] {
  const out: { variable: string; kpi: ReportKpi }[] = [];
  const add = (variable: string, kpi: ReportKpi): void => {
    if (!out.some((c) => c.variable === variable && c.kpi === kpi)) out.push({ variable, kpi });
  };
  for (const l of report.limits) add(l.variable, l.kpi);
  for (const v of report.variables) for (const k of ['final', 'min', 'max'] as const) add(v.name, k);
  return out;
}

/** The KPI columns of a single run's results table (one row per variable). */
export const RUN_COLUMNS: readonly ReportKpi[] = ['final', 'min', 'max', 'mean', 'time_of_max', 'settle', 'settling_time'];

function setupSection(r: Report): string {
  const s = r.setup;
  const rows: string[][] = [
    ['Model', `${mdText(r.model.name)} (${mdText(r.model.fmu_id)}, FMI ${r.model.fmi_version}, ${r.model.interface})`],
    ['FMU sha256', `\`${r.model.fmu_sha256}\``],
    ['Simulated time', `${formatNumber(s.start_time)} … ${formatNumber(s.stop_time)} s, results every ${formatNumber(s.step)} s`],
    [
      'Solver',
      `${s.solver === null ? 'the FMU’s own (co-simulation)' : mdText(s.solver)}${s.tolerance === null ? '' : `, tolerance ${formatNumber(s.tolerance)}`}`,
    ],
    ['Runs', r.kind === 'sweep' ? `${s.runs} (${s.completed} completed)` : '1'],
  ];
  const parts = ['## Setup', '', table(['Item', 'Value'], rows)];
  if (r.parameters.length > 0) {
    parts.push(
      '',
      '### Parameters',
      '',
      table(
        ['Parameter', 'Unit', r.kind === 'sweep' ? 'Value(s)' : 'Value', 'Source', 'Description'],
        r.parameters.map((p) => [
          mdText(p.name),
          mdText(p.unit ?? ''),
          p.values.map(value).join(', '),
          p.source,
          mdText(p.description ?? '', 200),
        ]),
      ),
    );
  }
  if (r.inputs.length > 0) {
    parts.push(
      '',
      '### Inputs',
      '',
      table(
        ['Input', 'Unit', 'Samples', 'From [s]', 'To [s]', 'Interpolation'],
        r.inputs.map((i) => [
          mdText(i.name),
          mdText(i.unit ?? ''),
          String(i.samples),
          formatNumber(i.t_first),
          formatNumber(i.t_last),
          mdText(i.interpolation),
        ]),
      ),
    );
  }
  return parts.join('\n');
}

function resultsSection(r: Report, maxRows: number): string {
  const units = new Map(r.variables.map((v) => [v.name, v.unit]));
  const verdictCell = (pass: boolean | null): string => (pass === null ? '–' : pass ? 'pass' : '**FAIL**');
  if (r.kind === 'run') {
    const run = r.runs[0];
    const rows = r.variables.map((v) => [
      mdText(v.name),
      mdText(v.unit ?? ''),
      ...RUN_COLUMNS.map((k) => formatNumber(run?.kpis[v.name]?.[k])),
    ]);
    return [
      '## Results',
      '',
      'Figures from every stored row of the result, in the variable’s unit (times in s).',
      '',
      table(['Variable', 'Unit', ...RUN_COLUMNS.map((k) => (kpiUnit(k, undefined) === 's' ? `${k} (s)` : k))], rows),
    ].join('\n');
  }
  const swept = r.parameters.filter((p) => p.source === 'swept');
  const cols = sweepColumns(r);
  const rows = r.runs.slice(0, maxRows).map((run) => [
    String(run.index),
    ...swept.map((p) => {
      const v = run.parameters[p.name];
      return v === undefined ? '–' : value(v);
    }),
    ...cols.map((c) => (run.status === 'completed' ? formatNumber(run.kpis[c.variable]?.[c.kpi]) : '–')),
    run.status === 'completed' ? verdictCell(run.pass) : `failed: ${mdText(run.error?.code ?? '?')}`,
    `\`${mdText(run.run_id)}\``,
  ]);
  return [
    '## Results',
    '',
    'One row per run; figures from every stored row of each run’s result.',
    '',
    table(
      [
        '#',
        ...swept.map((p) => mdText(withUnit(p.name, p.unit))),
        ...cols.map((c) => kpiHeader(c.variable, c.kpi, units.get(c.variable))),
        'Limits',
        'Run',
      ],
      rows,
    ),
    ...(r.runs.length > maxRows ? ['', `(${r.runs.length - maxRows} more runs in report.json)`] : []),
  ].join('\n');
}

function limitsSection(r: Report): string {
  if (r.limits.length === 0) return '';
  const rows = r.limits.map((l) => [
    mdText(`${l.variable} ${l.kpi}`),
    mdText(l.unit ?? ''),
    formatNumber(l.min),
    formatNumber(l.max),
    formatNumber(l.worst),
    l.pass ? 'pass' : '**FAIL**',
  ]);
  return ['## Limits', '', table(['Limit', 'Unit', 'Min', 'Max', 'Worst', 'Verdict'], rows)].join('\n');
}

function provenanceSection(r: Report): string {
  const p = r.provenance;
  const rows: string[][] = [
    ['Model', mdText(p.model_name)],
    ['FMU', `${mdText(p.fmu_id)}, sha256 \`${p.fmu_sha256}\`, FMI ${p.fmi_version} ${p.interface}`],
    ['Engine', mdText(p.engine_version)],
    ['Report by', mdText(p.gateway_version)],
    ...(p.sweep_id !== undefined ? [['Sweep', `\`${mdText(p.sweep_id)}\``]] : []),
    ['Runs', p.run_ids.map((id) => `\`${mdText(id)}\``).join(', ')],
    ['First run started', p.started_at ?? '–'],
    ['Generated', p.generated_at],
  ];
  return ['## Provenance', '', table(['Item', 'Value'], rows)].join('\n');
}

export function renderMarkdown(r: Report, opts: { maxTableRows?: number } = {}): string {
  const verdict =
    r.verdict === 'no_limits'
      ? '**Verdict:** no limits given.'
      : `**Verdict: ${r.verdict === 'pass' ? 'PASS' : 'FAIL'}** — ${r.limits.filter((l) => l.pass).length} of ${r.limits.length} limits met${
          r.kind === 'sweep' ? ` by every run (${r.setup.completed} of ${r.setup.runs} completed)` : ''
        }.`;
  const chartLine =
    `![${mdText(r.chart.variables.join(', '))} against time](report.png)\n\n` +
    `*report.png*: ${mdText(r.chart.variables.join(', '))} against time, drawn from all ${r.chart.rows} stored rows of ` +
    `${r.chart.runs.length === 1 ? 'the run' : `${r.chart.runs.length} runs`}${r.kind === 'sweep' && r.chart.runs.length < r.setup.completed ? ` (the first ${r.chart.runs.length} of ${r.setup.completed})` : ''}. ` +
    'The full data: report.json.';
  const sections = [
    `# ${mdText(r.title, 200)}`,
    r.purpose === undefined ? '' : `**Purpose.** ${mdText(r.purpose, 2000)}`,
    verdict,
    r.model.description === undefined ? '' : `*${mdText(r.model.name)}:* ${mdText(r.model.description, 600)}`,
    setupSection(r),
    resultsSection(r, opts.maxTableRows ?? Infinity),
    limitsSection(r),
    ['## Findings', '', ...r.findings.map((f) => `- ${mdText(f, 1000)}`)].join('\n'),
    ['## Chart', '', chartLine].join('\n'),
    provenanceSection(r),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}
