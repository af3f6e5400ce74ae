/** How reports print figures, shared by the writer (findings) and the Markdown brief (tables). */
import type { ReportKpi } from '../schemas/report.ts';

/** Numbers as every face prints them: 6 significant digits, no trailing zeros; null as "–". */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return String(Number(v.toPrecision(6)));
}

/** Unit of a figure: times are in s, the rest in the variable's unit. */
export function kpiUnit(kpi: ReportKpi, unit: string | undefined): string | undefined {
  return kpi === 'time_of_max' || kpi === 'time_of_min' || kpi === 'settling_time' ? 's' : unit;
}

/** "name = value unit" (no unit for dimensionless "1"). */
export function paramText(name: string, value: number | boolean | string, unit: string | undefined): string {
  return `${name} = ${typeof value === 'number' ? formatNumber(value) : String(value)}${unit === undefined || unit === '1' ? '' : ` ${unit}`}`;
}
