/** The remote face: a client of a hosted FMU Gateway's REST API (the only importer of undici). */
import type { Config } from '../config.ts';
import { GatewayClient } from './client.ts';
import { rememberedKey } from './remembered-keys.ts';

export { GatewayClient, sha256OfFile, type GatewayClientOptions, type UploadResult } from './client.ts';
export { rememberedKey, rememberKey } from './remembered-keys.ts';

/**
 * The client for FMU_GATEWAY_URL, or undefined when none is configured. Its key: FMU_GATEWAY_API_KEY,
 * else the one remembered for that gateway (`fmu-gateway run` creates and remembers one).
 */
export function createRemoteClient(config: Config): GatewayClient | undefined {
  const url = config.remote.url;
  if (url === undefined) return undefined;
  const apiKey = config.remote.apiKey ?? rememberedKey(config.configDir, url);
  return new GatewayClient({
    baseUrl: url,
    timeoutMs: config.remote.timeoutSeconds * 1000,
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
}
