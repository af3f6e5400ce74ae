/**
 * Connected-system test helpers: plan a description over built fixture FMUs, bundle them in a
 * temporary cache and run the system in this process (engine level, no worker pool).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import type { InterfaceKind } from '../../src/schemas/model-description.ts';
import { SystemDescriptionSchema, type MasterAlgorithm, type SystemDescriptionInput } from '../../src/schemas/system.ts';
import { ensureBundle } from '../../src/systems/bundle.ts';
import { planSystem, type PlannedComponent } from '../../src/systems/plan.ts';
import { runSystemSimulation } from '../../src/systems/run-system.ts';
import { openFixture } from './fixtures.ts';

const cache = mkdtempSync(join(tmpdir(), 'fmu-gw-systems-'));

export interface LocalSystemRun {
  /** Component name → built .fmu path. */
  fmus: Record<string, string>;
  description: SystemDescriptionInput;
  interface?: InterfaceKind;
  master?: MasterAlgorithm;
  communicationStep?: number;
  options: Omit<SimulationOptions, 'system'>;
}

export function runLocalSystem(r: LocalSystemRun): SimulationResult & { planWarnings: string[] } {
  const description = SystemDescriptionSchema.parse(r.description);
  const opened = Object.fromEntries(Object.entries(r.fmus).map(([name, p]) => [name, openFixture(p)]));
  const components: PlannedComponent[] = Object.keys(description.components).map((name) => {
    const o = opened[name];
    if (o === undefined) throw new Error(`no fmu for ${name}`);
    const spec = description.components[name];
    return {
      name,
      modelDescription: o.modelDescription,
      ...(typeof spec === 'object' && spec.interface !== undefined ? { interface: spec.interface } : {}),
    };
  });
  const { plan, warnings } = planSystem(description, components, {
    ...(r.interface ? { interface: r.interface } : {}),
    ...(r.master ? { master: r.master } : {}),
    ...(r.communicationStep !== undefined ? { communicationStep: r.communicationStep } : {}),
  });
  const bundle = ensureBundle(
    cache,
    components.map((c) => ({ sha256: opened[c.name]!.sha256, unpackedDir: opened[c.name]!.unpackedDir })),
  );
  plan.components.forEach((c, i) => {
    c.dir = bundle.parts[i]!.dir;
  });
  const result = runSystemSimulation(bundle.dir, plan, { ...r.options });
  return { ...result, planWarnings: warnings };
}

export function column(result: SimulationResult, name: string): Float64Array {
  const c = result.columns.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no column ${name}; have ${result.columns.map((x) => x.name).join(', ')}`);
  return c.values as Float64Array;
}
