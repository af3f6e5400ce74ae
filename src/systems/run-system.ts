/**
 * One system run, start to finish, synchronously, inside a worker process: load every
 * component's library (once per FMU), instantiate each component, wrap them in one
 * SystemInstance and hand it to the ordinary driver: Co-Simulation with the master attached
 * when every component is CS, else Model Exchange (our solvers, one state vector).
 * Always frees and unloads, also on failure.
 */
import { GatewayError } from '../errors.ts';
import { simulateCoSimulation } from '../engine/cosim.ts';
import { simulateModelExchange } from '../engine/model-exchange.ts';
import { checkTiming, ENGINE_MAX_ROWS, gridPoints } from '../engine/recorder.ts';
import { buildSystemModel } from '../engine/system-model.ts';
import { SystemInstance, type SystemComponentInstance } from '../engine/system-instance.ts';
import { TRACE_PREFIX, type SystemPlan } from '../engine/system-types.ts';
import type { SimulationOptions, SimulationResult } from '../engine/types.ts';
import type { FmiLibrary } from '../fmi/instance.ts';
import { loadFmiLibrary } from '../fmi/load.ts';
import { resolveInside } from '../fmi/safe-path.ts';
import { attachMaster } from './master.ts';

export function runSystemSimulation(bundleDir: string, plan: SystemPlan, options: SimulationOptions): SimulationResult {
  checkTiming(options);
  const rows = gridPoints(options.startTime, options.stopTime, options.outputInterval);
  const maxRows = options.maxRows ?? ENGINE_MAX_ROWS;
  if (rows > maxRows) {
    throw new GatewayError('OUTPUT_LIMIT_EXCEEDED', `The run would record ${rows} rows, more than the limit of ${maxRows}.`, {
      rows,
      maxRows,
    });
  }
  const model = buildSystemModel(plan);
  const onLog = options.onLog;
  const trace = plan.trace === true && onLog !== undefined ? (name: string) => onLog(`${TRACE_PREFIX}${name}`) : undefined;
  const libs = new Map<string, FmiLibrary>();
  const comps: SystemComponentInstance[] = [];
  try {
    for (const comp of plan.components) {
      const key = `${comp.dir}|${comp.interface}`;
      let lib = libs.get(key);
      trace?.(comp.name);
      if (lib === undefined) {
        // The plan's directories come from our own service, but the worker still keeps them inside its bundle.
        const unpackedDir = resolveInside(bundleDir, comp.dir, { what: `the component directory of ${comp.name}` });
        const binaryPath =
          comp.binary === undefined ? undefined : resolveInside(bundleDir, comp.binary.split('/'), { what: `the binary of ${comp.name}` });
        lib = loadFmiLibrary(
          { unpackedDir, modelDescription: comp.modelDescription },
          comp.interface,
          binaryPath === undefined ? {} : { binaryPath },
        );
        libs.set(key, lib);
      }
      const instance = lib.instantiate({
        interface: comp.interface,
        loggingOn: true,
        instanceName: comp.name,
        ...(onLog !== undefined ? { onLog: (r) => onLog(`[${comp.name}] [${r.status}] ${r.category}: ${r.message}`) } : {}),
      });
      comps.push({ name: comp.name, instance });
    }
    const system = new SystemInstance(plan, model, comps, {
      ...(onLog !== undefined ? { onLog } : {}),
      communicationStep: plan.communicationStep ?? options.outputInterval,
    });
    if (system.interface === 'CS') {
      attachMaster(system, plan);
      return simulateCoSimulation(system, options);
    }
    return simulateModelExchange(system, options);
  } finally {
    for (const c of comps) c.instance.free();
    for (const lib of libs.values()) lib.unload();
  }
}
