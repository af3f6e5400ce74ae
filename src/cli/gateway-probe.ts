/**
 * `run --auto` picks where to run, as the original's quick start did: the configured
 * FMU_GATEWAY_URL, else a local `serve` (FMU_GATEWAY_LOCAL_URL, default http://127.0.0.1:8000)
 * when one answers /health, else this process.
 */
import type { Config } from '../config.ts';

export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:8000';
const PROBE_TIMEOUT_MS = 1500;

export type GatewayChoice = { where: 'remote'; url: string; reason: string } | { where: 'in-process'; reason: string };

/** True when `url` answers GET /health like an FMU Gateway (ours says "ok", the original "healthy"). */
export async function isGateway(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return false;
    const body = (await res.json()) as { status?: unknown };
    return body.status === 'ok' || body.status === 'healthy';
  } catch {
    return false;
  }
}

export async function chooseGateway(config: Config): Promise<GatewayChoice> {
  if (config.remote.url !== undefined) return { where: 'remote', url: config.remote.url, reason: 'FMU_GATEWAY_URL' };
  const local = config.remote.localUrl ?? DEFAULT_LOCAL_URL;
  if (await isGateway(local)) return { where: 'remote', url: local, reason: `a local serve answers at ${local}` };
  return { where: 'in-process', reason: `no FMU_GATEWAY_URL and no gateway at ${local}: running in this process` };
}

/** The configuration that runs where `choice` says. */
export function configFor(config: Config, choice: GatewayChoice): Config {
  if (choice.where === 'in-process') return { ...config, mode: 'local' };
  return { ...config, mode: 'remote', remote: { ...config.remote, url: choice.url } };
}
