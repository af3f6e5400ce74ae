/**
 * Which interface (Co-Simulation / Model Exchange) a run uses. Free of the native bindings, so
 * the service can decide (and refuse) before any FMI code is loaded in the gateway.
 */
import { GatewayError } from '../errors.ts';
import type { InterfaceKind, ModelDescription } from '../schemas/model-description.ts';

/** CS unless ME is asked for or is the only interface the FMU offers. */
export function chooseInterface(md: ModelDescription, requested: InterfaceKind | undefined): InterfaceKind {
  const offered: InterfaceKind[] = [...(md.co_simulation ? (['CS'] as const) : []), ...(md.model_exchange ? (['ME'] as const) : [])];
  if (offered.length === 0) throw new GatewayError('FMU_INVALID', `${md.model_name} declares neither Co-Simulation nor Model Exchange.`);
  if (requested === undefined) return offered[0] as InterfaceKind;
  if (!offered.includes(requested)) {
    throw new GatewayError(
      'BAD_REQUEST',
      `${md.model_name} does not implement ${requested === 'CS' ? 'Co-Simulation' : 'Model Exchange'}; it offers ${offered.join(', ')}.`,
      { interface: requested, offered },
    );
  }
  return requested;
}
