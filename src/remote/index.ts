/** The remote face: a client of a hosted FMU Gateway's REST API (the only importer of undici). */
import type { Config } from '../config.ts';
import { GatewayClient } from './client.ts';

export { GatewayClient, sha256OfFile, type GatewayClientOptions, type UploadResult } from './client.ts';

/** The client for FMU_GATEWAY_URL, or undefined when none is configured. */
export function createRemoteClient(config: Config): GatewayClient | undefined {
  const url = config.remote.url;
  if (url === undefined) return undefined;
  return new GatewayClient({
    baseUrl: url,
    timeoutMs: config.remote.timeoutSeconds * 1000,
    ...(config.remote.apiKey !== undefined ? { apiKey: config.remote.apiKey } : {}),
  });
}
