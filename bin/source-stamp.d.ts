/** Fingerprint of the sources under <root>/src (see source-stamp.js). */
export function sourceStamp(
  root: string,
  /** Reuse this process's last walk of the same root when it is at most this old (ms). */
  opts?: { reuseWithinMs?: number },
): string;
export function isPackaged(root: string): boolean;
