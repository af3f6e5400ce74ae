/**
 * The API key for a remote gateway: FMU_GATEWAY_API_KEY when set, else the one remembered for
 * that gateway (src/remote/remembered-keys.ts), else a new one (POST /v2/keys), remembered.
 */
import type { Config } from '../config.ts';
import type { GatewayClient } from '../remote/index.ts';
import { rememberedKey, rememberKey } from '../remote/remembered-keys.ts';

export { rememberedKey };

/** The key to use with `client`'s gateway: configured, remembered, or newly created and remembered. */
export async function keyFor(config: Config, client: GatewayClient): Promise<{ key: string; created: boolean }> {
  if (config.remote.apiKey !== undefined) return { key: config.remote.apiKey, created: false };
  const known = rememberedKey(config.configDir, client.baseUrl);
  if (known !== undefined) return { key: known, created: false };
  const key = await client.createKey();
  rememberKey(config.configDir, client.baseUrl, key);
  return { key, created: true };
}
