/**
 * Unit checks of a connection from the components' unit definitions (SI base-unit exponents
 * with factor and offset: value_SI = factor · value + offset). Same unit name or a unit missing
 * on one side: no conversion. Different names with the same base-unit exponents: converted
 * (to = from · factor + offset) and warned. Otherwise refused with SYSTEM_INVALID.
 */
import { GatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';

const EXPONENTS = ['kg', 'm', 's', 'A', 'K', 'mol', 'cd', 'rad'] as const;

export interface UnitConversion {
  factor: number;
  offset: number;
  warning?: string;
}

function definition(md: ModelDescription, unit: string): Record<string, number> | undefined {
  return md.unit_definitions.find((u) => u.name === unit)?.base_unit;
}

export function unitConversion(
  fromMd: ModelDescription,
  fromUnit: string | undefined,
  toMd: ModelDescription,
  toUnit: string | undefined,
  label: string,
): UnitConversion {
  if (fromUnit === undefined || toUnit === undefined || fromUnit === toUnit) return { factor: 1, offset: 0 };
  const a = definition(fromMd, fromUnit);
  const b = definition(toMd, toUnit);
  if (a === undefined || b === undefined) {
    throw new GatewayError(
      'SYSTEM_INVALID',
      `Connection ${label} joins unit "${fromUnit}" to unit "${toUnit}" and the FMUs do not define them in SI base units, so no conversion is known.`,
      { connection: label, from_unit: fromUnit, to_unit: toUnit, reason: 'unit_mismatch' },
    );
  }
  for (const e of EXPONENTS) {
    if ((a[e] ?? 0) !== (b[e] ?? 0)) {
      throw new GatewayError(
        'SYSTEM_INVALID',
        `Connection ${label} joins unit "${fromUnit}" to unit "${toUnit}", which measure different quantities.`,
        {
          connection: label,
          from_unit: fromUnit,
          to_unit: toUnit,
          reason: 'unit_mismatch',
        },
      );
    }
  }
  const fa = a.factor ?? 1;
  const fb = b.factor ?? 1;
  const oa = a.offset ?? 0;
  const ob = b.offset ?? 0;
  const factor = fa / fb;
  const offset = (oa - ob) / fb;
  return {
    factor,
    offset,
    warning: `Connection ${label}: "${fromUnit}" converted to "${toUnit}" (× ${factor}${offset === 0 ? '' : ` + ${offset}`}).`,
  };
}
