/**
 * Turns the CLI's model argument into an fmu_id the service understands: `msl:<Name>` and
 * `sha256:<hex>` pass through; a file path is validated and stored (content-addressed) first.
 */
import { resolve } from 'node:path';
import { GatewayError } from '../errors.ts';
import { invalidArguments } from '../schemas/input-errors.ts';
import { CompileOptionsSchema, type CompileOptions } from '../schemas/upload.ts';
import type { ServiceContext } from '../service/context.ts';
// The module itself, not the service barrel (which also loads Stripe's webhook handler).
import { uploadFmu } from '../service/upload-fmu.ts';

/** --include-dir / --define values → validated compile options (undefined when neither was given). */
export function compileOptionsFromFlags(
  includeDirs: readonly string[] | undefined,
  defines: readonly string[] | undefined,
): CompileOptions | undefined {
  if ((includeDirs?.length ?? 0) === 0 && (defines?.length ?? 0) === 0) return undefined;
  const parsed = CompileOptionsSchema.safeParse({
    ...(includeDirs?.length ? { include_dirs: [...includeDirs] } : {}),
    ...(defines?.length ? { defines: [...defines] } : {}),
  });
  if (!parsed.success) throw invalidArguments('simulate', CompileOptionsSchema, parsed.error);
  return parsed.data;
}

export async function fmuIdFromArgument(ctx: ServiceContext, arg: string | undefined, compileOptions?: CompileOptions): Promise<string> {
  if (arg === undefined || arg === '') {
    throw new GatewayError('BAD_REQUEST', 'Missing the model: give a .fmu file or a library id such as msl:BouncingBall', {
      hint: 'Run `fmu-gateway library` to see the built-in models.',
    });
  }
  if (arg.startsWith('msl:') || arg.startsWith('sha256:')) {
    if (compileOptions !== undefined) {
      throw new GatewayError('BAD_REQUEST', '--include-dir and --define apply to a .fmu file given by path, not to an fmu id', {
        hint: 'Pass the .fmu file itself with the compile options.',
      });
    }
    return arg;
  }
  const input = compileOptions === undefined ? { path: resolve(arg) } : { path: resolve(arg), compile_options: compileOptions };
  return (await uploadFmu(ctx, input, { allowPath: true })).fmu_id;
}
