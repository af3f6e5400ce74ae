/**
 * The environment the benches start `fmu-gateway serve` (or `mcp`) with: this process's
 * environment, a fresh data dir (cache and SQLite file inside it) and rate limits out of the way
 * (a bench measures the gateway's work, not its refusals). `extra` goes last: a bench's own
 * settings win.
 */
import { join } from 'node:path';

export function serveEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return Object.assign(env, {
    FMU_GATEWAY_DATA_DIR: dataDir,
    FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache'),
    FMU_GATEWAY_DB_PATH: join(dataDir, 'gateway.sqlite3'),
    RATE_LIMIT_PER_MINUTE: '10000000',
    KEY_CREATION_PER_HOUR: '1000000',
    ...extra,
  });
}
