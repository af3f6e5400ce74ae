/**
 * Stands in for the package `koffi` inside the worker bundle (src/runner/worker-bundle.ts aliases it): koffi
 * is loaded from the absolute path the parent resolved (FMU_GATEWAY_KOFFI), so the worker never
 * depends on where npm put node_modules. When that fails, the worker names the module and the
 * path it tried on stderr (the pool reports it as WORKER_START_FAILED) and exits.
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

function load(): typeof Koffi {
  // eslint-disable-next-line no-restricted-properties -- the worker's one input from its launcher (src/runner/sandbox.ts), read before any config exists
  const path = process.env.FMU_GATEWAY_KOFFI;
  try {
    if (path === undefined || path === '') throw new Error('FMU_GATEWAY_KOFFI is not set');
    return createRequire(import.meta.url)(path) as typeof Koffi;
  } catch (e) {
    process.stderr.write(`fmu-gateway worker: cannot load module koffi from ${path ?? '(unset)'}: ${(e as Error).message}\n`);
    process.exit(71);
  }
}

const koffi = load();
export default koffi;
