/**
 * API keys of remote gateways remembered between CLI runs: `<configDir>/keys.json`, one key per
 * gateway URL, readable by the user only. The first remote run creates a key (POST /keys) and
 * stores it; FMU_GATEWAY_API_KEY, when set, always wins.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { GatewayClient } from '../remote/index.ts';

function keysFile(config: Config): string {
  return join(config.configDir, 'keys.json');
}

function readKeys(config: Config): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(keysFile(config), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export function rememberedKey(config: Config, url: string): string | undefined {
  return readKeys(config)[url];
}

/** The key to use with `client`'s gateway: configured, remembered, or newly created and remembered. */
export async function keyFor(config: Config, client: GatewayClient): Promise<{ key: string; created: boolean }> {
  if (config.remote.apiKey !== undefined) return { key: config.remote.apiKey, created: false };
  const known = rememberedKey(config, client.baseUrl);
  if (known !== undefined) return { key: known, created: false };
  const key = await client.createKey();
  const keys = { ...readKeys(config), [client.baseUrl]: key };
  mkdirSync(config.configDir, { recursive: true, mode: 0o700 });
  const tmp = `${keysFile(config)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, keysFile(config));
  return { key, created: true };
}
