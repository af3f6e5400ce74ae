/**
 * Runs a built-in library model (built from library/models/<Name> by the fixtures helper,
 * opened by src/fmi/archive.ts, simulated by src/engine/run.ts) and compares its columns
 * with reference values at a stated tolerance, reporting the worst point on failure.
 */
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/engine/run.ts';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import { buildLibraryModel, openFixture } from './fixtures.ts';

export type FmiVersion = '2.0' | '3.0';
export const FMI_VERSIONS: readonly FmiVersion[] = ['2.0', '3.0'];

export interface LibraryRun {
  result: SimulationResult;
  time: Float64Array;
  /** The recorded numeric column of that name (throws when absent). */
  col(name: string): Float64Array;
}

/** Builds (cached), opens and simulates; unset options fall back to the model's default experiment. */
export async function runLibraryModel(name: string, fmiVersion: FmiVersion, options: Partial<SimulationOptions> = {}): Promise<LibraryRun> {
  const fmu = openFixture(await buildLibraryModel(name, fmiVersion));
  const de = fmu.modelDescription.default_experiment ?? {};
  const result = runSimulation(fmu, {
    startTime: de.start_time ?? 0,
    stopTime: de.stop_time ?? 1,
    outputInterval: de.step_size ?? 0.01,
    interface: 'CS',
    ...options,
  });
  return {
    result,
    time: result.time,
    col(col: string): Float64Array {
      const c = result.columns.find((x) => x.name === col);
      assert.ok(c, `${name}: no recorded column "${col}" (have ${result.columns.map((x) => x.name).join(', ')})`);
      assert.ok(c.values instanceof Float64Array, `${name}: column "${col}" is not numeric`);
      return c.values;
    },
  };
}

/**
 * Asserts |actual[i] − expected(i)| ≤ atol + rtol·|expected(i)| at every row and returns the
 * largest absolute error (tests print it so the measured accuracy is visible).
 */
export function assertSeriesClose(
  label: string,
  time: ArrayLike<number>,
  actual: ArrayLike<number>,
  expected: (i: number, t: number) => number,
  tol: { atol: number; rtol?: number },
): number {
  assert.ok(actual.length > 1, `${label}: empty result`);
  assert.equal(actual.length, time.length, `${label}: column and time lengths differ`);
  let worst = 0,
    worstI = -1,
    worstExcess = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const t = time[i] as number;
    const e = expected(i, t),
      a = actual[i] as number;
    const err = Math.abs(a - e);
    const allowed = tol.atol + (tol.rtol ?? 0) * Math.abs(e);
    if (!(err <= allowed) && err - allowed > worstExcess) {
      worstExcess = err - allowed;
      worstI = i;
    }
    if (err > worst || Number.isNaN(err)) worst = Number.isNaN(err) ? Infinity : err;
  }
  if (worstI >= 0) {
    const t = time[worstI] as number;
    assert.fail(
      `${label}: at t=${t} got ${actual[worstI]}, expected ${expected(worstI, t)} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol ?? 0}; largest error ${worst})`,
    );
  }
  return worst;
}

/** Logs a measured figure to stderr (visible with --test-reporter=spec), never to stdout. */
export function report(label: string, value: number): void {
  process.stderr.write(`  [measured] ${label}: ${value.toExponential(2)}\n`);
}
