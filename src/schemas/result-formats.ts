/**
 * The formats a stored result is exported in, one table for every face: the CLI flags
 * (--csv, --arrow, --mat, --parquet), the REST downloads (GET /runs/{id}/result.<ext>, and
 * GET /runs/{id}/result by Accept) and get_result's `format` (a resource link to the file).
 */
import { z } from 'zod';

export const ResultFormatSchema = z
  .enum(['csv', 'arrow', 'mat', 'parquet'])
  .describe(
    'csv: text, one row per output step; arrow: Arrow IPC file (pyarrow, polars, DuckDB; units and descriptions as field metadata); ' +
      'mat: MATLAB v4 in the Modelica "dsres" layout (Dymola, OMEdit, SciPy loadmat); parquet: typed columns (pandas, polars, DuckDB).',
  );
export type ResultFormat = z.infer<typeof ResultFormatSchema>;

export const RESULT_MEDIA_TYPES: Readonly<Record<ResultFormat, string>> = {
  csv: 'text/csv',
  arrow: 'application/vnd.apache.arrow.file',
  mat: 'application/x-matlab-data',
  parquet: 'application/vnd.apache.parquet',
};

/** Other names clients send for the same formats (matched after the official ones). */
const ALIASES: Readonly<Record<string, ResultFormat>> = {
  'application/csv': 'csv',
  'application/x-parquet': 'parquet',
  'application/parquet': 'parquet',
  'application/octet-stream+parquet': 'parquet',
  'application/x-apache-arrow-file': 'arrow',
  'application/vnd.apache.arrow.stream': 'arrow',
  'application/matlab': 'mat',
  'application/x-mat': 'mat',
};

export function formatOfMediaType(type: string): ResultFormat | undefined {
  const t = type.trim().toLowerCase();
  for (const [f, m] of Object.entries(RESULT_MEDIA_TYPES)) if (m === t) return f as ResultFormat;
  return ALIASES[t];
}

/**
 * The format an Accept header asks for (RFC 9110 §12.5.1): the acceptable media type of the
 * highest q, ties going to the header's order; `*\/*`, `text/*` and `application/*` match the
 * first format of that kind in CSV, Arrow, MAT, Parquet order. No header: CSV. Undefined when
 * nothing offered is acceptable (406).
 */
export function negotiateResultFormat(accept: string | undefined): ResultFormat | undefined {
  if (accept === undefined || accept.trim() === '') return 'csv';
  const offered = Object.keys(RESULT_MEDIA_TYPES) as ResultFormat[];
  const ranges = accept
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim());
      const qParam = params.find((p) => /^q=/i.test(p));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0, order };
    })
    .filter((r) => r.type !== '');
  const qualityOf = (f: ResultFormat): { q: number; order: number; specific: number } | undefined => {
    const media = RESULT_MEDIA_TYPES[f];
    const [major] = media.split('/');
    let best: { q: number; order: number; specific: number } | undefined;
    for (const r of ranges) {
      const specific = formatOfMediaType(r.type) === f ? 2 : r.type === `${major}/*` ? 1 : r.type === '*/*' ? 0 : -1;
      // The most specific matching range sets the quality (q=0 on it refuses the format).
      if (specific >= 0 && (best === undefined || specific > best.specific)) best = { q: r.q, order: r.order, specific };
    }
    return best;
  };
  let chosen: { f: ResultFormat; q: number; order: number; specific: number } | undefined;
  for (const f of offered) {
    const m = qualityOf(f);
    if (m === undefined || m.q <= 0) continue;
    if (
      chosen === undefined ||
      m.q > chosen.q ||
      (m.q === chosen.q && m.specific > chosen.specific) ||
      (m.q === chosen.q && m.specific === chosen.specific && m.order < chosen.order)
    )
      chosen = { f, ...m };
  }
  return chosen?.f;
}
