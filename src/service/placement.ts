/**
 * Where a call runs (FMU_GATEWAY_MODE): `local` never forwards; `remote` forwards every tool to
 * FMU_GATEWAY_URL; `auto` runs here when the FMU can run here (a binary for this platform, or
 * sources and a C compiler) and otherwise forwards when a remote is configured, else answers a coded
 * error saying what is missing. The decision is made before anything runs, never after a failure,
 * so a model that fails here is not silently re-run (and paid for) elsewhere.
 */
import { GatewayError, isGatewayError } from '../errors.ts';
import { detectCompiler } from '../fmi/source-build.ts';
import { findBinary } from '../fmi/platform.ts';
import type { GatewayClient } from '../remote/client.ts';
import { UPLOADED_ID_PATTERN } from '../schemas/common.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';

export type Placement = { where: 'local' } | { where: 'remote'; client: GatewayClient; reason: string };

/** The remote client when every call forwards (mode remote), else undefined. */
export function forwardAll(ctx: ServiceContext): GatewayClient | undefined {
  if (ctx.config.mode !== 'remote') return undefined;
  return requireRemote(ctx, 'FMU_GATEWAY_MODE is "remote"');
}

export function requireRemote(ctx: ServiceContext, why: string): GatewayClient {
  if (ctx.remote !== undefined) return ctx.remote;
  throw new GatewayError('REMOTE_NOT_CONFIGURED', `${why} but no remote gateway is configured`, {
    hint: 'Set FMU_GATEWAY_URL (and FMU_GATEWAY_API_KEY) to a hosted FMU Gateway, or use FMU_GATEWAY_MODE=local.',
  });
}

/**
 * Where a simulation of `fmuId` runs. In auto mode an FMU we cannot run (no binary for this
 * platform and no way to compile its sources, or not stored here at all) goes to the remote.
 */
export async function placeRun(
  ctx: ServiceContext,
  fmuId: string,
  opts: { fmiVersion?: '2.0' | '3.0'; interface?: 'ME' | 'CS' } = {},
): Promise<Placement> {
  const all = forwardAll(ctx);
  if (all !== undefined) return { where: 'remote', client: all, reason: 'FMU_GATEWAY_MODE is "remote"' };
  if (ctx.config.mode !== 'auto') return { where: 'local' };
  const missing = await whyNotLocal(ctx, fmuId, opts);
  if (missing === undefined) return { where: 'local' };
  if (ctx.remote !== undefined) return { where: 'remote', client: ctx.remote, reason: missing.message };
  // Auto mode without a remote: the local reason, plus what would have made it run.
  throw new GatewayError(missing.code, `${missing.message} No remote gateway is configured to run it instead.`, {
    ...missing.data,
    hint: 'Set FMU_GATEWAY_URL (and FMU_GATEWAY_API_KEY) to a hosted FMU Gateway that can run it, or provide an FMU with a binary for this platform or C sources (and install a C compiler).',
  });
}

/** undefined when the FMU can run on this machine; otherwise the coded reason it cannot. */
async function whyNotLocal(
  ctx: ServiceContext,
  fmuId: string,
  opts: { fmiVersion?: '2.0' | '3.0'; interface?: 'ME' | 'CS' },
): Promise<GatewayError | undefined> {
  let opened;
  try {
    opened = (await resolveFmu(ctx, fmuId, opts.fmiVersion)).opened;
  } catch (e) {
    // An uploaded id we do not hold may be held by the remote (it was uploaded there).
    if (isGatewayError(e) && e.code === 'NOT_FOUND' && UPLOADED_ID_PATTERN.test(fmuId)) return e;
    throw e;
  }
  const md = opened.modelDescription;
  const offered: ('ME' | 'CS')[] = [];
  if (md.co_simulation) offered.push('CS');
  if (md.model_exchange) offered.push('ME');
  const wanted = opts.interface !== undefined ? [opts.interface] : offered;
  let lastError: GatewayError | undefined;
  for (const iface of wanted) {
    try {
      findBinary(opened.unpackedDir, md, iface);
      return undefined;
    } catch (e) {
      if (!isGatewayError(e) || e.code !== 'PLATFORM_UNSUPPORTED') throw e;
      lastError = e;
    }
  }
  if (opened.hasSources && ctx.ensureBinary !== undefined) {
    try {
      await detectCompiler();
      return undefined;
    } catch (e) {
      if (isGatewayError(e)) return e;
      throw e;
    }
  }
  return lastError ?? new GatewayError('PLATFORM_UNSUPPORTED', `${md.model_name} cannot run on this machine.`);
}
