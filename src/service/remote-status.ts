/**
 * Is the remote gateway (FMU_GATEWAY_URL) reachable? For `doctor` and `/health`: one GET /health
 * with a short deadline, reported with its latency or the coded reason it failed.
 */
import { toGatewayError } from '../errors.ts';
import type { ServiceContext } from './context.ts';

export interface RemoteStatus {
  mode: 'local' | 'remote' | 'auto';
  configured: boolean;
  url?: string;
  reachable?: boolean;
  latency_ms?: number;
  remote_status?: string;
  error?: { code: string; message: string };
}

export async function remoteStatus(ctx: ServiceContext, timeoutMs = 3000): Promise<RemoteStatus> {
  const mode = ctx.config.mode;
  if (ctx.remote === undefined) return { mode, configured: false };
  const started = performance.now();
  try {
    const health = await ctx.remote.health({ signal: AbortSignal.timeout(timeoutMs) });
    return {
      mode,
      configured: true,
      url: ctx.remote.baseUrl,
      reachable: true,
      latency_ms: Math.round(performance.now() - started),
      remote_status: health.status,
    };
  } catch (e) {
    const err = toGatewayError(e);
    return { mode, configured: true, url: ctx.remote.baseUrl, reachable: false, error: { code: err.code, message: err.message } };
  }
}
