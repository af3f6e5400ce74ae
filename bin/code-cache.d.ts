// Types of bin/code-cache.js (plain JavaScript: the launcher runs it before any TypeScript loader).
export function codeCacheDir(env?: NodeJS.ProcessEnv | Record<string, string | undefined>): string | undefined;
export function codeCacheFile(dir: string, name: string, hash: string): string;
export function readCodeCache(file: string, hash: string): Buffer | undefined;
export function writeCodeCache(file: string, hash: string, payload: Buffer): void;
export function runWithCodeCache(
  file: string,
  opts: { name: string; hash: string; cacheDir: string | undefined },
): 'none' | 'rejected' | 'used';
