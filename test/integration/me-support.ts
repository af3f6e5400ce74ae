/**
 * Shared by the test/integration/me-*.test.ts files: build a library model, load it through
 * the real koffi binding and run the Model Exchange (or Co-Simulation) driver on it.
 */
import { simulateCoSimulation } from '../../src/engine/cosim.ts';
import { simulateModelExchange } from '../../src/engine/model-exchange.ts';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import type { InterfaceKind } from '../../src/schemas/model-description.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';

export async function runModel(
  model: string,
  fmiVersion: '2.0' | '3.0',
  iface: InterfaceKind,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const fmu = openFixture(await buildLibraryModel(model, fmiVersion));
  const lib = loadFmiLibrary(fmu, iface);
  try {
    const instance = lib.instantiate({ interface: iface, instanceName: model });
    try {
      return iface === 'ME' ? simulateModelExchange(instance, options) : simulateCoSimulation(instance, options);
    } finally {
      instance.free();
    }
  } finally {
    lib.unload();
  }
}

export function column(r: SimulationResult, name: string): Float64Array {
  const c = r.columns.find((col) => col.name === name);
  if (!c || !(c.values instanceof Float64Array)) throw new Error(`no numeric column ${name} in ${r.columns.map((x) => x.name).join(', ')}`);
  return c.values;
}

/** Indices of rows recorded at events. */
export function eventRowIndices(r: SimulationResult): number[] {
  const out: number[] = [];
  r.eventRows?.forEach((v, i) => {
    if (v) out.push(i);
  });
  return out;
}
