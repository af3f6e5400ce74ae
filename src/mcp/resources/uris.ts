/** The resource URIs the tools link to and the resource templates serve (one place, so they agree). */
export const RESULT_URI_TEMPLATE = 'fmu-gateway://runs/{run_id}/result.csv';
/** The same run as a file for engineering tools: result.mat, result.parquet, result.arrow (blob contents). */
export const RESULT_FILE_URI_TEMPLATE = (format: 'mat' | 'parquet' | 'arrow'): string => `fmu-gateway://runs/{run_id}/result.${format}`;
export function resultFileUri(runId: string, format: 'mat' | 'parquet' | 'arrow'): string {
  return `fmu-gateway://runs/${runId}/result.${format}`;
}
export const LIBRARY_URI_TEMPLATE = 'fmu-gateway://library/{name}';
export const FMU_URI_TEMPLATE = 'fmu-gateway://fmus/{sha256}';

/** The description resource of an fmu_id: msl:<Name> → library/<Name>, sha256:<hex> → fmus/<hex>. */
export function modelUri(fmuId: string): string {
  if (fmuId.startsWith('msl:')) return `fmu-gateway://library/${encodeURIComponent(fmuId.slice(4))}`;
  return `fmu-gateway://fmus/${fmuId.replace(/^sha256:/, '')}`;
}
