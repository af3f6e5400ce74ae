/**
 * What the exports (MAT, Parquet, Arrow) say about each column besides its values: description,
 * unit, display unit, causality, variability, as the run's meta.json records them (saveRun), and
 * the experiment's start and stop time. meta.json is our own file, but it is read back here with
 * a schema: a run stored by an older version simply lacks these fields.
 */
import { z } from 'zod';
import { CausalitySchema, VariabilitySchema } from '../schemas/model-description.ts';

export const ColumnInfoSchema = z.object({
  name: z.string(),
  unit: z.string().optional(),
  display_unit: z.string().optional(),
  description: z.string().optional(),
  causality: CausalitySchema.optional(),
  variability: VariabilitySchema.optional(),
});
export type ColumnInfo = z.infer<typeof ColumnInfoSchema>;

export interface ExportInfo {
  /** By column name. */
  columns: ReadonlyMap<string, ColumnInfo>;
  startTime?: number;
  stopTime?: number;
  /** The output interval: with startTime, the grid CSV times are printed on. */
  step?: number;
  modelName?: string;
}

const MetaSchema = z.object({
  columns: z.array(z.unknown()).optional(),
  provenance: z.object({ start_time: z.number(), stop_time: z.number(), step: z.number(), model_name: z.string() }).partial().optional(),
});

export function exportInfoOf(meta: Record<string, unknown>): ExportInfo {
  const parsed = MetaSchema.safeParse(meta);
  const columns = new Map<string, ColumnInfo>();
  if (!parsed.success) return { columns };
  for (const raw of parsed.data.columns ?? []) {
    const c = ColumnInfoSchema.safeParse(raw);
    if (c.success) columns.set(c.data.name, c.data);
  }
  const p = parsed.data.provenance ?? {};
  return {
    columns,
    ...(p.start_time !== undefined ? { startTime: p.start_time } : {}),
    ...(p.stop_time !== undefined ? { stopTime: p.stop_time } : {}),
    ...(p.step !== undefined ? { step: p.step } : {}),
    ...(p.model_name !== undefined ? { modelName: p.model_name } : {}),
  };
}

/** The output grid of a run, when its meta says it. */
export function gridOf(info: ExportInfo): { start: number; step: number } | undefined {
  return info.startTime !== undefined && info.step !== undefined ? { start: info.startTime, step: info.step } : undefined;
}

/** A parameter-like column: its value cannot change after initialization (MAT data_1). */
export function isFixedColumn(info: ColumnInfo | undefined): boolean {
  return info?.variability === 'constant' || info?.variability === 'fixed';
}
