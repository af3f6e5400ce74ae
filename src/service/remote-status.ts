/**
 * Is the remote gateway (FMU_GATEWAY_URL) reachable? For `doctor` (one check, awaited) and
 * `/health` (the last check, refreshed in the background so a slow remote never slows /health).
 */
import { toGatewayError } from '../errors.ts';
import type { RemoteStatus } from '../schemas/remote.ts';
import type { ServiceContext } from './context.ts';

export async function remoteStatus(ctx: Pick<ServiceContext, 'config' | 'remote'>, timeoutMs = 3000): Promise<RemoteStatus> {
  const mode = ctx.config.mode;
  if (ctx.remote === undefined) return { mode, configured: false };
  const started = performance.now();
  const checked_at = new Date().toISOString();
  try {
    const health = await ctx.remote.health({ signal: AbortSignal.timeout(timeoutMs) });
    const latency_ms = Math.round(performance.now() - started);
    return { mode, configured: true, url: ctx.remote.baseUrl, reachable: true, latency_ms, remote_status: health.status, checked_at };
  } catch (e) {
    const err = toGatewayError(e);
    return {
      mode,
      configured: true,
      url: ctx.remote.baseUrl,
      reachable: false,
      checked_at,
      error: { code: err.code, message: err.message },
    };
  }
}

const REFRESH_MS = 15_000;
const cache = new WeakMap<ServiceContext, { status: RemoteStatus; at: number; refreshing: boolean }>();

/** The latest status without waiting longer than the first check (2 s); later calls never wait. */
export async function cachedRemoteStatus(ctx: ServiceContext): Promise<RemoteStatus> {
  if (ctx.remote === undefined) return { mode: ctx.config.mode, configured: false };
  const hit = cache.get(ctx);
  if (hit === undefined) {
    const status = await remoteStatus(ctx, 2000);
    cache.set(ctx, { status, at: Date.now(), refreshing: false });
    return status;
  }
  if (Date.now() - hit.at > REFRESH_MS && !hit.refreshing) {
    hit.refreshing = true;
    void remoteStatus(ctx, 2000).then((status) => cache.set(ctx, { status, at: Date.now(), refreshing: false }));
  }
  return hit.status;
}
