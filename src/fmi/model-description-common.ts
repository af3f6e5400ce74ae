/**
 * Parts of modelDescription.xml that FMI 2 and FMI 3 share: header, unit definitions,
 * default experiment, spec defaults for causality/variability/initial, type inheritance.
 */
import type { z } from 'zod';
import type {
  Causality,
  Initial,
  DefaultExperiment,
  ModelVariable,
  TypeDefinitionSchema,
  UnitDefinitionSchema,
  Variability,
  VariableType,
} from '../schemas/model-description.ts';
import { CausalitySchema, InitialSchema, VariabilitySchema } from '../schemas/model-description.ts';
import type { XmlElement } from './model-description-xml.ts';
import { childOf, childrenOf, mdError, optBool, optDouble, optEnum, optString, reqString } from './model-description-xml.ts';

export type TypeDefinition = z.infer<typeof TypeDefinitionSchema>;
export type UnitDefinition = z.infer<typeof UnitDefinitionSchema>;
export type { Initial };

/** A type definition plus what variables inherit from it but the schema does not carry. */
export interface TypeDefInfo {
  def: TypeDefinition;
  displayUnit?: string;
}

// The allowed attribute values are the schemas' own (one list per concept).
export const CAUSALITIES: readonly Causality[] = CausalitySchema.options;
export const VARIABILITIES: readonly Variability[] = VariabilitySchema.options;
export const INITIALS: readonly Initial[] = InitialSchema.options;

export interface Header {
  model_name: string;
  description?: string;
  author?: string;
  version?: string;
  generation_tool?: string;
  generation_date_and_time?: string;
  variable_naming_convention: 'flat' | 'structured';
}

export function parseHeader(root: XmlElement): Header {
  const h: Header = {
    model_name: reqString(root, 'modelName'),
    variable_naming_convention: optEnum(root, 'variableNamingConvention', ['flat', 'structured'] as const) ?? 'flat',
  };
  const copy = (attr: string, key: 'description' | 'author' | 'version' | 'generation_tool' | 'generation_date_and_time'): void => {
    const v = optString(root, attr);
    if (v !== undefined) h[key] = v;
  };
  copy('description', 'description');
  copy('author', 'author');
  copy('version', 'version');
  copy('generationTool', 'generation_tool');
  copy('generationDateAndTime', 'generation_date_and_time');
  return h;
}

const BASE_UNIT_ATTRS = ['kg', 'm', 's', 'A', 'K', 'mol', 'cd', 'rad', 'factor', 'offset'] as const;

export function parseUnitDefinitions(root: XmlElement): UnitDefinition[] {
  const defs = childOf(root, 'UnitDefinitions');
  if (!defs) return [];
  return childrenOf(defs, 'Unit').map((u) => {
    const unit: UnitDefinition = { name: reqString(u, 'name') };
    const base = childOf(u, 'BaseUnit');
    if (base) {
      const b: Record<string, number> = {};
      for (const a of BASE_UNIT_ATTRS) {
        const v = optDouble(base, a);
        if (v !== undefined) b[a] = v;
      }
      unit.base_unit = b;
    }
    const displays = childrenOf(u, 'DisplayUnit');
    if (displays.length > 0) {
      unit.display_units = displays.map((d) => ({
        name: reqString(d, 'name'),
        factor: optDouble(d, 'factor') ?? 1,
        offset: optDouble(d, 'offset') ?? 0,
      }));
    }
    return unit;
  });
}

export function parseDefaultExperiment(root: XmlElement): DefaultExperiment | undefined {
  const de = childOf(root, 'DefaultExperiment');
  if (!de) return undefined;
  const out: DefaultExperiment = {};
  const set = (attr: string, key: keyof DefaultExperiment): void => {
    const v = optDouble(de, attr);
    if (v === undefined) return;
    if (!Number.isFinite(v)) throw mdError(`${attr} must be a finite number`, { element: 'DefaultExperiment', attribute: attr });
    out[key] = v;
  };
  set('startTime', 'start_time');
  set('stopTime', 'stop_time');
  set('tolerance', 'tolerance');
  set('stepSize', 'step_size');
  return out;
}

const PARAMETER_LIKE: readonly Causality[] = ['parameter', 'calculatedParameter', 'structuralParameter'];

/**
 * Spec default variability: 'continuous' for Float/Real, 'discrete' otherwise. Deliberate
 * deviation: a parameter without a variability gets 'fixed', because parameter+continuous is an
 * illegal combination and treating a parameter as time-varying would mislead the engine.
 */
export function defaultVariability(type: VariableType, causality: Causality): Variability {
  if (PARAMETER_LIKE.includes(causality)) return 'fixed';
  return type === 'Float64' || type === 'Float32' ? 'continuous' : 'discrete';
}

import { defaultInitial } from './default-initial.ts';

export { defaultInitial };

/** Variables inherit unit, display unit, min, max and nominal from their declared type. */
export function inheritFromType(v: ModelVariable, t: TypeDefInfo | undefined): void {
  if (!t) return;
  if (v.unit === undefined && t.def.unit !== undefined) v.unit = t.def.unit;
  if (v.display_unit === undefined && t.displayUnit !== undefined) v.display_unit = t.displayUnit;
  if (v.min === undefined && t.def.min !== undefined) v.min = t.def.min;
  if (v.max === undefined && t.def.max !== undefined) v.max = t.def.max;
  if (v.nominal === undefined && t.def.nominal !== undefined) v.nominal = t.def.nominal;
}

export function checkUniqueNames(variables: readonly ModelVariable[], element: string): void {
  const seen = new Set<string>();
  for (const v of variables) {
    if (seen.has(v.name)) throw mdError(`duplicate variable name "${v.name}"`, { element, attribute: 'name', variable: v.name });
    seen.add(v.name);
  }
}

/** Variable common attributes (identical in FMI 2 ScalarVariable and FMI 3 variable elements). */
export function readCommonVariable(el: XmlElement, type: VariableType, vr: number): ModelVariable {
  const name = reqString(el, 'name');
  const causality = optEnum(el, 'causality', CAUSALITIES) ?? 'local';
  const variability = optEnum(el, 'variability', VARIABILITIES) ?? defaultVariability(type, causality);
  const v: ModelVariable = { name, value_reference: vr, type, causality, variability };
  const initial = optEnum(el, 'initial', INITIALS) ?? defaultInitial(causality, variability);
  if (initial !== undefined) v.initial = initial;
  const description = optString(el, 'description');
  if (description !== undefined) v.description = description;
  if (el.attrs.canHandleMultipleSetPerTimeInstant !== undefined) {
    v.can_handle_multiple_set_per_time_instant = optBool(el, 'canHandleMultipleSetPerTimeInstant', true);
  }
  return v;
}
