/**
 * The KPI names a simulate request may ask for, and the solver "auto" threshold. Apart from the
 * request schema (simulate.ts, which re-exports them) so the worker's engine does not load zod at
 * start-up (docs/architecture.md, start-up).
 */
export const KPI_METRICS = [
  'rms',
  'mean',
  'min',
  'max',
  'final',
  'peak_to_peak',
  'integral',
  'overshoot',
  'rise_time',
  'settling_time',
] as const;
export type KpiMetric = (typeof KPI_METRICS)[number];

/** `<variable>_<metric>`; the variable part may itself contain underscores and dots. */
export const KPI_PATTERN = new RegExp(`^(.+)_(${KPI_METRICS.join('|')})$`);

/**
 * solver "auto" picks bdf from this many continuous states (src/engine/solvers/select.ts uses it;
 * here so the tool description states the rule).
 */
export const AUTO_BDF_STATES = 50;
