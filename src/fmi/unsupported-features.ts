/**
 * Parts of FMI this gateway does not run, refused with one code (UNSUPPORTED_FEATURE) that names
 * the feature, so a caller can tell "valid FMU, not runnable here" from a broken file
 * (MODEL_DESCRIPTION_INVALID / FMU_INVALID).
 *
 * - FMI 3 Scheduled Execution: the importer calls model partitions from its own scheduler; we
 *   only drive Model Exchange and Co-Simulation.
 * - FMI 3 clocks: clocked variables change only when a clock ticks (Event Mode, fmi3GetClock /
 *   fmi3SetClock, intervals); our drivers have no clock handling, so results would be wrong.
 * - an FMI 3 FMU with no simulation interface at all (e.g. terminals and icons only): valid,
 *   but there is nothing to run.
 */
import { GatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';

export type UnsupportedFeature = 'scheduled_execution' | 'clocks' | 'no_simulation_interface';

export function unsupportedFeature(feature: UnsupportedFeature, message: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('UNSUPPORTED_FEATURE', message, { feature, ...data });
}

/** An FMI 3 model description that declares neither <ModelExchange> nor <CoSimulation>. */
export function noRunnableInterface(modelName: string, hasScheduledExecution: boolean): GatewayError {
  return hasScheduledExecution
    ? unsupportedFeature(
        'scheduled_execution',
        `${modelName} implements only FMI 3 Scheduled Execution, which this gateway does not run (it runs Model Exchange and Co-Simulation)`,
        { hint: 'Export the model with a Co-Simulation or Model Exchange interface.' },
      )
    : unsupportedFeature(
        'no_simulation_interface',
        `${modelName} declares no Model Exchange, Co-Simulation or Scheduled Execution interface (e.g. an FMU carrying only terminals and icons): there is nothing to simulate`,
        { hint: 'Export the model with a Co-Simulation or Model Exchange interface.' },
      );
}

/** Clock variables of an FMI 3 model (empty for FMI 2, which has none). */
export function clockVariables(md: ModelDescription): string[] {
  return md.variables.filter((v) => v.type === 'Clock').map((v) => v.name);
}

/** A one-line note for upload warnings when the FMU can be stored and inspected but not run. */
export function unsupportedWarnings(md: ModelDescription): string[] {
  const clocks = clockVariables(md);
  if (clocks.length === 0) return [];
  return [
    `The FMU uses FMI 3 clocks (${clocks.slice(0, 5).join(', ')}${clocks.length > 5 ? ', …' : ''}), which this gateway does not support: simulating it is refused with UNSUPPORTED_FEATURE.`,
  ];
}

/** Throws UNSUPPORTED_FEATURE when the FMU uses something the drivers cannot run correctly. */
export function assertRunnable(md: ModelDescription): void {
  const clocks = clockVariables(md);
  if (clocks.length > 0) {
    throw unsupportedFeature(
      'clocks',
      `${md.model_name} uses FMI 3 clocks (${clocks.slice(0, 5).join(', ')}${clocks.length > 5 ? ', …' : ''}); this gateway does not support clocked simulation`,
      {
        clocks: clocks.slice(0, 50),
        hint: 'Use an export of the model without clocks (clocked partitions), or a tool that supports FMI 3 clocks.',
      },
    );
  }
}
