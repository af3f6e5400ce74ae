/**
 * upload_fmu: store an FMU by content (sha256) and report what it is.
 */
import { z } from 'zod';
import { CausalityCountsSchema, DefaultExperimentOutSchema, flatOutputSchema, OK_STATUS } from './common.ts';
import { ErrorResultSchema } from './errors.ts';
import { FmiVersionSchema, InterfaceKindSchema } from './model-description.ts';

/** A folder below the FMU's sources/: relative, forward slashes, no "..", nothing a shell or compiler flag could read. */
const SourcesRelativeDirSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*\/?$/, 'a relative folder inside sources/ (letters, digits, _ . + -, "/" between names)')
  .refine((d) => !d.split('/').some((seg) => seg === '..' || seg === '.'), 'must not contain "." or ".." segments');

/** NAME or NAME=value for the C preprocessor: a C identifier and a plain token or a simple quoted string. */
export const PreprocessorDefineSchema = z
  .string()
  .max(300)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}(=([A-Za-z0-9_.+-]{0,160}|"[A-Za-z0-9_.+\- :/]{0,160}"))?$/,
    'NAME or NAME=value: NAME a C identifier, value letters, digits, _ . + - or a "quoted" string of those, spaces, : and /',
  );

export const CompileOptionsSchema = z
  .strictObject({
    include_dirs: z.array(SourcesRelativeDirSchema).max(32).optional().describe('Include path folders inside sources/, e.g. ["include"].'),
    defines: z.array(PreprocessorDefineSchema).max(64).optional().describe('"NAME" or "NAME=value" (-D).'),
  })
  .describe('For FMUs compiled here from C sources; other options, other fmu_id.');
export type CompileOptions = z.infer<typeof CompileOptionsSchema>;

export const UploadFmuInputSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('Absolute path of a .fmu on this machine (stdio only).'),
    content_base64: z.string().min(1).optional().describe('The .fmu bytes, base64. Give this or path.'),
    compile_options: CompileOptionsSchema.optional(),
  })
  .superRefine((v, ctx) => {
    const given = Number(v.path !== undefined) + Number(v.content_base64 !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given === 0 ? ['path'] : ['content_base64'],
        message:
          given === 0
            ? 'Give exactly one of path (a .fmu file on this machine) or content_base64 (the file bytes, base64); neither was given'
            : 'Give exactly one of path or content_base64, not both',
      });
    }
  });
export type UploadFmuInput = z.infer<typeof UploadFmuInputSchema>;

export const UploadFmuSuccessSchema = z.object({
  status: z.literal(OK_STATUS),
  fmu_id: z.string().describe('"sha256:<hex>" of the bytes, for get_variables and simulate.'),
  already_stored: z.boolean(),
  size_bytes: z.number().int().nonnegative(),
  model_name: z.string(),
  description: z.string().optional(),
  fmi_version: FmiVersionSchema,
  guid: z.string(),
  generation_tool: z.string().optional(),
  interfaces: z.array(InterfaceKindSchema),
  platforms: z.array(z.string()).describe('e.g. "x86_64-linux"'),
  has_sources: z.boolean().describe('compilable here'),
  default_experiment: DefaultExperimentOutSchema,
  counts: CausalityCountsSchema.extend({
    states: z.number().int().nonnegative(),
    event_indicators: z.number().int().nonnegative(),
    variables: z.number().int().nonnegative(),
  }),
  warnings: z.array(z.string()),
  compile_options: CompileOptionsSchema.optional().describe('Stored with this fmu_id.'),
});
export type UploadFmuSuccess = z.infer<typeof UploadFmuSuccessSchema>;

export const UploadFmuOutputSchema = flatOutputSchema([UploadFmuSuccessSchema, ErrorResultSchema], 'The stored FMU.');
export type UploadFmuOutput = z.infer<typeof UploadFmuOutputSchema>;
