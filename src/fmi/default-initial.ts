/**
 * The default of a variable's `initial` attribute. A module of its own, free of zod and of the
 * XML parser, because the worker's engine needs it and the worker's start-up should not load
 * those (docs/architecture.md, start-up).
 */
import type { Causality, Initial, Variability } from '../schemas/model-description.ts';

/** Default `initial` from the causality × variability table (FMI 2 §2.2.7, FMI 3 §2.4.7.4). */
export function defaultInitial(causality: Causality, variability: Variability): Initial | undefined {
  switch (causality) {
    case 'parameter':
    case 'structuralParameter':
      return 'exact';
    case 'calculatedParameter':
      return 'calculated';
    case 'output':
    case 'local':
      return variability === 'constant' ? 'exact' : 'calculated';
    default:
      return undefined; // input, independent: no initial attribute
  }
}
