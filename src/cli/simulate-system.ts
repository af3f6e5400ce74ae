/**
 * `fmu-gateway simulate model.ssp …`: the archive is uploaded as a system (checked as a whole,
 * its FMUs stored like uploads) and simulated with the same options as an FMU, plus
 * --master gauss-seidel|jacobi and --communication-step H. Names are "component.variable".
 */
import { resolve } from 'node:path';
import type { Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { invalidArguments } from '../schemas/input-errors.ts';
import type { SimulateCompleted } from '../schemas/simulate.ts';
import { createSimulateSystemInputSchema } from '../schemas/system.ts';
import type { ServiceContext } from '../service/context.ts';
import { simulateSystem } from '../service/simulate-system.ts';
import { uploadSystem } from '../service/upload-system.ts';
import { parseNumberOption } from './args.ts';
import { simulateRequestFromOptions, type SimulationOptionValues } from './simulate-request.ts';

export { isSystemArgument, SYSTEM_OPTIONS, SYSTEM_OPTIONS_USAGE } from './system-options.ts';

export async function simulateSspFile(
  ctx: ServiceContext,
  config: Config,
  file: string,
  values: SimulationOptionValues & { master?: string; 'communication-step'?: string },
): Promise<SimulateCompleted> {
  if (values['fmi-version'] !== undefined)
    throw new GatewayError('BAD_REQUEST', '--fmi-version does not apply to a system (.ssp): its FMUs are given.');
  // The run options are checked by simulate's own schema first (a placeholder id; dropped below).
  const { fmu_id: _id, fmi_version: _v, ...run } = simulateRequestFromOptions(config, 'msl:System', values);
  const up = await uploadSystem(ctx, { path: resolve(file) }, { allowPath: true });
  for (const w of up.warnings) process.stderr.write(`warning: ${w}\n`);
  const schema = createSimulateSystemInputSchema(config.limits);
  const raw = {
    ...run,
    system_id: up.system_id,
    ...(values.master !== undefined ? { master: values.master } : {}),
    ...(values['communication-step'] !== undefined
      ? { communication_step: parseNumberOption('communication-step', values['communication-step']) }
      : {}),
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidArguments('simulate', schema, parsed.error);
  return (await simulateSystem(ctx, parsed.data)).output;
}
