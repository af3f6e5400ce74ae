/**
 * simulate's tool result from the service's answer: the summary as text, the full CSV as a
 * resource link, the plot when asked. Its own module, free of the SDK at run time, so the stdio
 * server's early answer (../early-runs.ts) builds exactly what the tool builds.
 */
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import type { SimulateCompleted } from '../../schemas/simulate.ts';
import type { SimulateServiceResult } from '../../service/simulate.ts';
import { escapeForText } from '../../text-escape.ts';
import { withSettlement } from './payment.ts';
import { attachPlot } from './plot.ts';
import { okResult } from './result.ts';

function num(v: number | null): string {
  return v === null ? '-' : String(Number(v.toPrecision(6)));
}

function render(out: SimulateCompleted): string {
  const p = out.provenance;
  const lines = [
    `Run ${out.run_id} completed: ${escapeForText(p.model_name)}, t = ${p.start_time}..${p.stop_time} s, ${out.rows} rows ` +
      `(FMI ${p.fmi_version} ${p.interface}${p.solver === null ? '' : `, solver ${p.solver}`}, ${out.stats.wall_ms.toFixed(0)} ms).`,
    'Outputs (min / max / mean / final):',
    ...Object.entries(out.summary).map(
      ([name, s]) =>
        `- ${escapeForText(name)}${s.unit === undefined ? '' : ` [${escapeForText(s.unit)}]`}: ${num(s.min)} / ${num(s.max)} / ${num(s.mean)} / ${num(s.final)}`,
    ),
  ];
  const kpis = Object.entries(out.kpis);
  if (kpis.length > 0) lines.push(`KPIs: ${kpis.map(([k, v]) => `${k} = ${num(v)}`).join(', ')}`);
  if (out.terminated_early !== undefined) lines.push(`Stopped early at t = ${out.terminated_early.time} s: ${out.terminated_early.reason}`);
  for (const w of out.warnings.slice(0, 5)) lines.push(`Warning: ${w}`);
  lines.push(
    `Full result (CSV): ${out.result_uri} — read it as a resource. The inline series has ${(out.series.time ?? []).length} points.`,
  );
  return lines.join('\n');
}

/** The tool result of a completed simulate (callerId: whose plots were sent already, plot.ts). */
export function simulateToolResult(res: SimulateServiceResult, callerId: string | undefined): CallToolResult {
  const out = res.output;
  const blocks: ContentBlock[] = [
    {
      type: 'resource_link',
      uri: out.result_uri,
      name: `result.csv of run ${out.run_id}`,
      description: `Full result: time and ${out.provenance.outputs.length} outputs, ${out.rows} rows.`,
      mimeType: 'text/csv',
    },
  ];
  const plot = attachPlot(res.plotPng, 'simulate', callerId, [out.run_id]);
  blocks.push(...plot.blocks);
  const text = render(out) + (plot.note === undefined ? '' : `\n${plot.note}`);
  return withSettlement(okResult(out, text, blocks), res.x402Settlement);
}
