/**
 * Checks done in the parent before a job reaches a worker: the output grid must fit the row
 * limit (so no process ever allocates for an absurd request) and the times must make sense.
 */
import { GatewayError } from '../errors.ts';
import type { SimulationJob } from './types.ts';

/** Rows of the output grid start, start+h, …, stop (stop included, rounding tolerant). */
export function outputRows(startTime: number, stopTime: number, interval: number): number {
  return Math.floor((stopTime - startTime) / interval + 1e-9) + 1;
}

export function checkJobLimits(job: SimulationJob, maxOutputRows: number): number {
  const { startTime, stopTime, outputInterval } = job.options;
  if (![startTime, stopTime, outputInterval].every(Number.isFinite)) {
    throw new GatewayError('BAD_REQUEST', 'start_time, stop_time and step must be finite numbers.');
  }
  if (stopTime < startTime) {
    throw new GatewayError('BAD_REQUEST', `stop_time (${stopTime}) is before start_time (${startTime}); give a stop_time after the start.`);
  }
  if (!(outputInterval > 0)) {
    throw new GatewayError('BAD_REQUEST', `step must be positive (got ${outputInterval}).`);
  }
  const rows = outputRows(startTime, stopTime, outputInterval);
  const limit = Math.min(maxOutputRows, job.options.maxRows ?? Infinity);
  if (rows > limit) {
    throw new GatewayError(
      'OUTPUT_LIMIT_EXCEEDED',
      `The run would record ${rows} rows, more than the limit of ${limit}. Use a larger step (at least ${(stopTime - startTime) / (limit - 1)}) or a shorter interval.`,
      { rows, max_rows: limit },
    );
  }
  return rows;
}
