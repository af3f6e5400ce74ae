// Plain JavaScript (the launcher runs it before any TypeScript loader): a cheap fingerprint of
// the sources a bundle was built from — file count and newest modification time under src/,
// plus package.json. A bundle is used only while this matches the stamp it was built with.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

// The last walk per root, on globalThis (the bundle has its own copy of this module): a caller
// that checks within milliseconds of the launcher (the gateway checking the worker bundle at
// start-up) may reuse it instead of walking src/ again (`reuseWithinMs`).
const memo = (globalThis[Symbol.for('fmu-gateway.sourceStamp')] ??= new Map());

/**
 * True in an installed package: `npm pack` ships built JavaScript only (package.json "files"),
 * no src/. There the bundles are the program, whatever their stamp says.
 */
export function isPackaged(root) {
  return !existsSync(join(root, 'src'));
}

export function sourceStamp(root, opts = {}) {
  const key = resolve(root);
  const hit = memo.get(key);
  if (opts.reuseWithinMs !== undefined && hit !== undefined && performance.now() - hit.at < opts.reuseWithinMs) return hit.stamp;
  const stamp = walkSources(root);
  memo.set(key, { stamp, at: performance.now() });
  return stamp;
}

function walkSources(root) {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  let files = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) {
        files++;
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  walk(join(root, 'src'));
  return `${files}:${newest}`;
}
