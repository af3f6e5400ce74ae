/**
 * Turns the CLI's model argument into an fmu_id the service understands: `msl:<Name>` and
 * `sha256:<hex>` pass through; a file path is validated and stored (content-addressed) first.
 */
import { resolve } from 'node:path';
import { GatewayError } from '../errors.ts';
import { uploadFmu, type ServiceContext } from '../service/index.ts';

export async function fmuIdFromArgument(ctx: ServiceContext, arg: string | undefined): Promise<string> {
  if (arg === undefined || arg === '') {
    throw new GatewayError('BAD_REQUEST', 'Missing the model: give a .fmu file or a library id such as msl:BouncingBall', {
      hint: 'Run `fmu-gateway library` to see the built-in models.',
    });
  }
  if (arg.startsWith('msl:') || arg.startsWith('sha256:')) return arg;
  return (await uploadFmu(ctx, { path: resolve(arg) }, { allowPath: true })).fmu_id;
}
