/**
 * The TypeScript API of the package: `import { simulate } from 'fmu-gateway'`.
 * `simulate` runs one simulation in an isolated worker process, like the CLI; the lower-level
 * pieces (openFmu, runSimulation, the worker pool, the schemas) are exported for programs that
 * compose their own pipeline.
 */
import { fmuIdFromArgument } from './cli/fmu-argument.ts';
import { createLocalContext } from './cli/local-context.ts';
import { loadConfig } from './config.ts';
import { createCatalog } from './library/catalog.ts';
import { createSimulateInputSchema, type SimulateCompleted, type SimulateInput } from './schemas/simulate.ts';
import { simulate as simulateUseCase } from './service/simulate.ts';
import { invalidArguments } from './schemas/input-errors.ts';

export { GatewayError, isGatewayError, type ErrorCode } from './errors.ts';
export { loadConfig, type Config } from './config.ts';
export { openFmu } from './fmi/archive.ts';
export { parseModelDescription } from './fmi/model-description.ts';
export { runSimulation } from './engine/run.ts';
export type { SimulationOptions, SimulationResult } from './engine/types.ts';
export { createWorkerPool } from './runner/pool.ts';
export { createCatalog, loadCatalog } from './library/catalog.ts';
export * from './schemas/simulate.ts';
export type { ModelDescription, ModelVariable } from './schemas/model-description.ts';

/**
 * Runs one simulation. `fmu_id` is `msl:<Name>`, `sha256:<hex>` of a stored FMU, or a path to a
 * .fmu file. Throws GatewayError with a stable code on failure.
 */
export async function simulate(
  input: Omit<SimulateInput, 'fmu_id'> & { fmu_id: string },
  opts: { signal?: AbortSignal; onProgress?: (fraction: number, time: number) => void } = {},
): Promise<SimulateCompleted> {
  const config = loadConfig();
  const local = await createLocalContext(config, { catalog: createCatalog() });
  try {
    const fmuId = await fmuIdFromArgument(local.ctx, input.fmu_id);
    const schema = createSimulateInputSchema(config.limits);
    const parsed = schema.safeParse({ ...input, fmu_id: fmuId });
    if (!parsed.success) throw invalidArguments('simulate', schema, parsed.error);
    return (await simulateUseCase(local.ctx, parsed.data, opts)).output;
  } finally {
    await local.close();
  }
}
