/**
 * The CLI's exports of a stored run: --csv streams the CSV rendered from the columnar result
 * into a file (never the whole text in memory), --arrow / --mat likewise, --parquet builds the
 * file in memory (its footer comes last), --json reads every column at full resolution.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { ServiceContext } from '../service/context.ts';
import { timeFormatter, type TimeGrid } from '../store/time-format.ts';

export async function writeRunCsv(ctx: ServiceContext, runId: string, path: string): Promise<void> {
  await pipeline(await ctx.results.csvStream(runId), createWriteStream(path));
}

export async function writeRunArrow(ctx: ServiceContext, runId: string, path: string): Promise<void> {
  await pipeline(await ctx.results.arrowStream(runId), createWriteStream(path));
}

export async function writeRunMat(ctx: ServiceContext, runId: string, path: string): Promise<void> {
  await pipeline(await ctx.results.matStream(runId), createWriteStream(path));
}

export async function writeRunParquet(ctx: ServiceContext, runId: string, path: string): Promise<void> {
  await writeFile(path, await ctx.results.parquetBytes(runId));
}

/** time and every recorded column (64-bit integers as the nearest number, NaN/Inf as null in JSON). */
export async function readFullSeries(ctx: ServiceContext, runId: string, grid?: TimeGrid): Promise<Record<string, (number | string)[]>> {
  const file = await ctx.results.open(runId);
  try {
    // Times on the output grid without float noise (0.47, not 0.47000000000000003), as in the CSV.
    const clean = timeFormatter(grid);
    const series: Record<string, (number | string)[]> = { time: Array.from(await file.readTime(), (t) => Number(clean(t))) };
    for (let i = 0; i < file.columns.length; i++) {
      const v = await file.readColumn(i);
      series[(file.columns[i] as { name: string }).name] = Array.isArray(v) ? v : Array.from(v as ArrayLike<number | bigint>, Number);
    }
    return series;
  } finally {
    await file.close();
  }
}
