/**
 * Is this node fit to take traffic? The account store answers a ping, and the data directory has
 * room to write results. /health serves the last check (refreshed in the background at most once
 * a second, so a hung store never slows /health) and says "degraded" (HTTP 503) when either
 * fails, so a load balancer stops sending requests here until it recovers.
 */
import { statfsSync } from 'node:fs';
import { toGatewayError } from '../errors.ts';
import type { AccountStore } from '../store/index.ts';

export interface NodeHealth {
  status: 'ok' | 'degraded';
  checks: {
    store: { ok: boolean; backend: string; latency_ms?: number; error?: string };
    disk: { ok: boolean; free_bytes?: number; total_bytes?: number; error?: string };
  };
  checked_at: string;
}

/** Below this much free space the node is degraded: 64 MiB, or 5 % of a smaller volume. */
export function diskLowWater(totalBytes: number): number {
  return Math.min(64 * 1024 * 1024, Math.floor(totalBytes * 0.05));
}

export function diskHealth(dir: string): NodeHealth['checks']['disk'] {
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    return { ok: free > diskLowWater(total), free_bytes: free, total_bytes: total };
  } catch (e) {
    return { ok: false, error: String((e as Error).message ?? e) };
  }
}

export async function storeHealth(accounts: AccountStore, timeoutMs: number): Promise<NodeHealth['checks']['store']> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      accounts.kv.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, backend: accounts.backend, latency_ms: Math.round(performance.now() - started) };
  } catch (e) {
    const g = toGatewayError(e);
    return { ok: false, backend: accounts.backend, error: String(g.data?.['cause'] ?? g.message) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkNode(accounts: AccountStore, dataDir: string, timeoutMs = 1000): Promise<NodeHealth> {
  const store = await storeHealth(accounts, timeoutMs);
  const disk = diskHealth(dataDir);
  return { status: store.ok && disk.ok ? 'ok' : 'degraded', checks: { store, disk }, checked_at: new Date().toISOString() };
}

/** The last check of a node, refreshed in the background once it is older than `refreshMs`. */
export function createHealthMonitor(accounts: AccountStore, dataDir: string, refreshMs = 1000) {
  let last: { health: NodeHealth; at: number } | undefined;
  let refreshing: Promise<NodeHealth> | undefined;
  const refresh = (): Promise<NodeHealth> => {
    refreshing ??= checkNode(accounts, dataDir).then((health) => {
      last = { health, at: Date.now() };
      refreshing = undefined;
      return health;
    });
    return refreshing;
  };
  return {
    async current(): Promise<NodeHealth> {
      if (last === undefined) return refresh();
      if (Date.now() - last.at > refreshMs) void refresh();
      return last.health;
    },
  };
}
