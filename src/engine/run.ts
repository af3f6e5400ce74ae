/**
 * One simulation, start to finish, synchronously: choose the interface, load the
 * library, instantiate, run (CS here, ME via model-exchange.ts), terminate, free, unload.
 * Runs inside a worker process (src/runner), never in the server process.
 */
import { GatewayError } from '../errors.ts';
import type { LogRecord } from '../fmi/instance.ts';
import { loadFmiLibrary } from '../fmi/load.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { simulateCoSimulation } from './cosim.ts';
import { chooseInterface } from './interface-choice.ts';
import { simulateModelExchange } from './model-exchange.ts';
import { checkTiming, ENGINE_MAX_ROWS, gridPoints } from './recorder.ts';
import type { SimulationOptions, SimulationResult } from './types.ts';
import { withStructuralParameters } from './variables.ts';

export interface RunnableFmu {
  unpackedDir: string;
  modelDescription: ModelDescription;
  /** Explicit shared library (e.g. compiled from sources); default: platform.ts finds it. */
  binaryPath?: string;
}

// In its own module so the service can choose without loading the native bindings (start-up).
export { chooseInterface };

export function runSimulation(runnable: RunnableFmu, options: SimulationOptions): SimulationResult {
  // Structural parameters set by the run change array sizes and the state count: the instance
  // is created from the model description with those values (set in Configuration Mode).
  const md = withStructuralParameters(runnable.modelDescription, options.startValues);
  const fmu = md === runnable.modelDescription ? runnable : { ...runnable, modelDescription: md };
  const iface = chooseInterface(md, options.interface);
  // Fail fast, before loading native code, on bad timing or an oversized result.
  checkTiming(options);
  const rows = gridPoints(options.startTime, options.stopTime, options.outputInterval);
  const maxRows = options.maxRows ?? ENGINE_MAX_ROWS;
  if (rows > maxRows) {
    throw new GatewayError(
      'OUTPUT_LIMIT_EXCEEDED',
      `The run would record ${rows} rows, more than the limit of ${maxRows}. Increase the output step or shorten the time span.`,
      { rows, maxRows },
    );
  }
  const lib = loadFmiLibrary(fmu, iface, fmu.binaryPath === undefined ? {} : { binaryPath: fmu.binaryPath });
  try {
    const onLog = options.onLog;
    const instance = lib.instantiate({
      interface: iface,
      loggingOn: true,
      instanceName: md.model_name,
      ...(onLog !== undefined ? { onLog: (r: LogRecord) => onLog(`[${r.status}] ${r.category}: ${r.message}`) } : {}),
    });
    try {
      return iface === 'CS' ? simulateCoSimulation(instance, options) : simulateModelExchange(instance, options);
    } finally {
      instance.free();
    }
  } finally {
    lib.unload();
  }
}
