/**
 * API keys of remote gateways remembered between runs: `<configDir>/keys.json`, one key per
 * gateway URL, readable by the user only (0600 in a 0700 folder), written atomically. Read by
 * every face that forwards (mcp, simulate, run, redeem), written when a key is created.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function keysFile(configDir: string): string {
  return join(configDir, 'keys.json');
}

function readKeys(configDir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(keysFile(configDir), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** The gateway's URL as the key of the file: no trailing slash. */
const norm = (url: string): string => url.replace(/\/+$/, '');

export function rememberedKey(configDir: string, url: string): string | undefined {
  const keys = readKeys(configDir);
  return keys[norm(url)] ?? keys[url];
}

export function rememberKey(configDir: string, url: string, key: string): void {
  const keys = { ...readKeys(configDir), [norm(url)]: key };
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const tmp = `${keysFile(configDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, keysFile(configDir));
}
