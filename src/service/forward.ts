/**
 * The remote half of the use cases: the same inputs and outputs as the local ones, carried out by
 * the hosted gateway's REST API (src/remote). Uploaded FMUs keep their content-addressed id on both
 * sides, so an FMU stored here is sent to the remote once (the client asks by sha256 first).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { GatewayClient } from '../remote/client.ts';
import { UPLOADED_ID_PATTERN } from '../schemas/common.ts';
import type { SimulateCompleted, SimulateInput } from '../schemas/simulate.ts';
import type { ServiceContext } from './context.ts';

/**
 * Makes sure the remote holds an FMU this gateway stores (library models exist on both sides).
 * True when bytes were sent, false when the remote had them, undefined when there was nothing to send.
 */
export async function ensureOnRemote(ctx: ServiceContext, client: GatewayClient, fmuId: string): Promise<boolean | undefined> {
  if (!UPLOADED_ID_PATTERN.test(fmuId)) return undefined;
  const path = ctx.fmuStore.pathOf(fmuId.slice('sha256:'.length));
  if (path === undefined) return undefined; // not ours: the remote may hold it (it answers NOT_FOUND if not)
  return (await client.uploadFmu({ path })).bytes_sent;
}

export async function simulateRemote(
  ctx: ServiceContext,
  client: GatewayClient,
  input: SimulateInput,
  opts: { signal?: AbortSignal; reason?: string },
): Promise<SimulateCompleted> {
  await ensureOnRemote(ctx, client, input.fmu_id);
  let out: SimulateCompleted;
  try {
    out = await client.simulate(input, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    // The remote asks for money: its checkout is redeemed there (redeem_checkout forwards it).
    const session = isGatewayError(e) && e.code === 'PAYMENT_REQUIRED' ? e.data?.session_id : undefined;
    if (typeof session === 'string') rememberRemoteSession(ctx, session);
    throw e;
  }
  ctx.remoteRuns ??= new Map();
  ctx.remoteRuns.set(out.run_id, client.baseUrl);
  ctx.logger.info('simulation forwarded', { run_id: out.run_id, fmu_id: input.fmu_id, remote: client.baseUrl, reason: opts.reason });
  return { ...out, provenance: { ...out.provenance, executed_on: 'remote', remote_url: client.baseUrl } };
}

/**
 * The full CSV of a run made on the remote, downloaded once into the data directory (streamed to
 * disk) so resources of remote runs read like local ones.
 */
export async function remoteRunCsv(ctx: ServiceContext, runId: string): Promise<string | undefined> {
  const url = ctx.remoteRuns?.get(runId);
  if (url === undefined || ctx.remote === undefined) return undefined;
  // The id came from the remote and becomes a file name: letters, digits, - and _ only.
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(runId)) throw new GatewayError('NOT_FOUND', `"${runId}" is not a run id`, { run_id: runId });
  const dir = join(ctx.config.dataDir, 'remote-runs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${runId}.csv`);
  if (!existsSync(path)) await ctx.remote.downloadResultCsv(runId, path);
  return path;
}

export function rememberRemoteSession(ctx: ServiceContext, sessionId: string): void {
  ctx.remoteSessions ??= new Set();
  ctx.remoteSessions.add(sessionId);
}
