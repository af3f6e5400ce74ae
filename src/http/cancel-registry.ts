/**
 * In-flight MCP requests of the stateless HTTP endpoint, so that a `notifications/cancelled`
 * (which arrives as its own POST, handled by a fresh server instance) can reach the request it names.
 *
 * Without sessions there is no client identity; JSON-RPC ids are only unique per client. So the key
 * is (remote address, request id), and a cancel that matches more than one request (two clients on
 * one address using the same id at the same moment) cancels nothing rather than the wrong run.
 */
export type RequestId = string | number;

export class CancelRegistry {
  private readonly inFlight = new Map<string, Set<(reason: string) => void>>();

  private static key(remote: string, id: RequestId): string {
    return `${remote}|${typeof id}:${String(id)}`;
  }

  /** Registers an abort function; returns the function that removes it again. */
  add(remote: string, id: RequestId, abort: (reason: string) => void): () => void {
    const key = CancelRegistry.key(remote, id);
    let set = this.inFlight.get(key);
    if (set === undefined) {
      set = new Set();
      this.inFlight.set(key, set);
    }
    set.add(abort);
    return () => {
      const s = this.inFlight.get(key);
      if (s === undefined) return;
      s.delete(abort);
      if (s.size === 0) this.inFlight.delete(key);
    };
  }

  /** Aborts the one request matching (remote, id). Returns what happened, for logging and tests. */
  cancel(remote: string, id: RequestId, reason: string): 'cancelled' | 'unknown' | 'ambiguous' {
    const set = this.inFlight.get(CancelRegistry.key(remote, id));
    if (set === undefined || set.size === 0) return 'unknown';
    if (set.size > 1) return 'ambiguous';
    for (const abort of set) abort(reason);
    return 'cancelled';
  }

  get size(): number {
    let n = 0;
    for (const s of this.inFlight.values()) n += s.size;
    return n;
  }
}
