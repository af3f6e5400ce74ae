/**
 * Small shapes shared by several tools: FMU ids, FMI version choice, and the helper that turns
 * a tool's result variants into ONE top-level object schema.
 *
 * Why the helper: MCP requires a tool's outputSchema to be `type: "object"`, the SDK server only
 * accepts a zod object there (a union is silently dropped), and the SDK client validates
 * structuredContent against outputSchema even when `isError: true`. So every tool's output
 * schema is a flat object: `status` plus every variant's fields as optional, and a refinement
 * that re-checks the exact variant (refinements do not appear in the JSON Schema, but run
 * whenever zod parses). The discriminated union of the variants stays available for exact typing.
 */
import { z } from 'zod';
import { FmiVersionSchema } from './model-description.ts';

export { FmiVersionSchema, type FmiVersion } from './model-description.ts';

export const LIBRARY_ID_PATTERN = /^msl:[A-Za-z_][A-Za-z0-9_]*$/;
export const UPLOADED_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;

export const FmuIdSchema = z
  .string()
  .refine((s) => LIBRARY_ID_PATTERN.test(s) || UPLOADED_ID_PATTERN.test(s), {
    message:
      'fmu_id must be "msl:<Name>" for a built-in library model (see list_library) or "sha256:<64 lowercase hex>" for an uploaded FMU (see upload_fmu)',
  })
  .describe('"msl:<Name>" (list_library) or "sha256:<hex>" (upload_fmu).');

export const LibraryFmiVersionSchema = FmiVersionSchema.describe('Library models only; default 3.0 if built.');

export const DefaultExperimentOutSchema = z
  .object({
    start_time: z.number().optional(),
    stop_time: z.number().optional(),
    tolerance: z.number().optional(),
    step_size: z.number().optional(),
  })
  .describe("simulate's defaults, s");

/** Status value used by every tool's success variant except simulate ("completed"). */
export const OK_STATUS = 'ok' as const;

/** How many variables of each causality a model has (library entries; uploads extend it). */
export const CausalityCountsSchema = z.object({
  inputs: z.number().int().nonnegative(),
  outputs: z.number().int().nonnegative(),
  parameters: z.number().int().nonnegative(),
});

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** The exact discriminated union behind each flat output schema (see outputVariantsOf). */
const variantsOfFlat = new WeakMap<object, z.ZodType>();

/**
 * The discriminated union of a flat output schema's variants, or undefined for any other schema.
 * Checking a value against it alone is the flat schema's check without its first pass (the
 * flat fields are the variants' own fields, so a value that matches a variant passes them):
 * the MCP face validates a tool's answer with it once instead of twice (src/mcp/tools/output-schema-memo.ts).
 */
export function outputVariantsOf(schema: object): z.ZodType | undefined {
  return variantsOfFlat.get(schema);
}

/**
 * The flat, MCP-compatible output schema of a tool from its variants (each a z.object with a
 * literal `status`). Fields present in several variants must have the same schema.
 */
export function flatOutputSchema<const V extends readonly [AnyObject, AnyObject, ...AnyObject[]]>(
  variants: V,
  description: string,
): z.ZodType<z.infer<V[number]>> & AnyObject {
  const union = z.discriminatedUnion('status', variants as unknown as [AnyObject, AnyObject, ...AnyObject[]]);
  const statuses: string[] = [];
  const shape: Record<string, z.ZodType> = {};
  for (const variant of variants) {
    for (const [key, field] of Object.entries(variant.shape)) {
      if (key === 'status') {
        const values = (field as z.ZodLiteral<string>).values;
        statuses.push(...values);
      } else if (!(key in shape)) {
        shape[key] = (field as z.ZodType).optional();
      }
    }
  }
  const flat = z
    .object({
      status: z.enum(statuses as [string, ...string[]]).describe('Other fields depend on it.'),
      ...shape,
    })
    .superRefine((value, ctx) => {
      const parsed = union.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
    })
    .describe(description);
  variantsOfFlat.set(flat, union);
  // The cast only narrows the inferred type to the exact union the refinement enforces.
  return flat as unknown as z.ZodType<z.infer<V[number]>> & AnyObject;
}

/** Names that are safe in CSV headers and series keys; FMU variable names can be anything. */
export const VariableNameSchema = z.string().min(1).max(1000);
