/**
 * How a chart travels in a tool result (the renderer, src/report, decides how it is drawn):
 * - inline as an image block only while its base64 stays within PLOT_MAX_CHARS, so one plot never
 *   costs an agent more context than that; a larger one is left out with a note saying why and
 *   how to get a smaller one;
 * - never twice for the same data: compare_runs over the runs of a sweep draws what the sweep
 *   already returned, so a caller that has recently received a plot of the same set of runs gets
 *   a one-line reference instead of a second copy.
 */
import type { ContentBlock } from '@modelcontextprotocol/server';

export const PLOT_MAX_CHARS = 25_000;
/** How many recently sent plots (per process) are remembered to avoid sending one twice. */
const REMEMBERED = 256;
const sent = new Map<string, string>();

export interface PlotAttachment {
  blocks: ContentBlock[];
  /** A sentence for the text block when the image was left out. */
  note?: string;
}

export function attachPlot(
  png: Uint8Array | undefined,
  tool: string,
  callerId: string | undefined,
  runIds: readonly string[],
): PlotAttachment {
  if (png === undefined) return { blocks: [] };
  const data = Buffer.from(png).toString('base64');
  if (data.length > PLOT_MAX_CHARS) {
    return {
      blocks: [],
      note: `Plot left out: ${data.length} characters of PNG, more than the ${PLOT_MAX_CHARS} a result carries inline. Ask for fewer plot_variables (or read the rows with get_result).`,
    };
  }
  const key = `${callerId ?? ''}|${[...runIds].sort().join(',')}`;
  const earlier = sent.get(key);
  if (earlier !== undefined)
    return { blocks: [], note: `Plot: the same runs were plotted by ${earlier} earlier; that chart is not repeated.` };
  sent.set(key, tool);
  if (sent.size > REMEMBERED) sent.delete(sent.keys().next().value as string);
  return { blocks: [{ type: 'image', data, mimeType: 'image/png' }] };
}
