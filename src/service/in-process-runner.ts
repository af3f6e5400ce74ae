/**
 * A runner that simulates in THIS process, for tests and benchmarks only: no isolation, an FMU
 * crash takes the process down. Production wires the worker pool (src/runner/pool.ts) instead.
 */
import { runSimulation } from '../engine/run.ts';
import { GatewayError } from '../errors.ts';
import { runSystemSimulation } from '../systems/run-system.ts';
import type { SimulationRunner } from './context.ts';

export function createInProcessRunner(): SimulationRunner {
  return {
    isolation: { level: 'process-only', features: ['in-process (tests only)'], missing: ['worker process'] },
    run(job, opts = {}) {
      // Deferred to a macrotask so callers see the same async shape as the pool.
      return new Promise((resolve, reject) => {
        setImmediate(() => {
          try {
            const md = job.fmu.modelDescription;
            if (md === undefined) throw new GatewayError('INTERNAL', 'in-process runner needs job.fmu.modelDescription');
            const fmu = {
              unpackedDir: job.fmu.unpackedDir,
              modelDescription: md,
              ...(job.fmu.binaryPath ? { binaryPath: job.fmu.binaryPath } : {}),
            };
            const options = {
              ...job.options,
              ...(opts.signal ? { signal: opts.signal } : {}),
              ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
            };
            // A connected system: unpackedDir is its bundle (src/service/simulate-system.ts).
            resolve(
              job.options.system === undefined
                ? runSimulation(fmu, options)
                : runSystemSimulation(fmu.unpackedDir, job.options.system, options),
            );
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      });
    },
  };
}
