/**
 * The package's root folder (where package.json, library/, build/ and node_modules live),
 * found by walking up from this module. Modules use it instead of counting `../` from their
 * own location, so the code works the same run from src/ through tsx or from a bundle in build/.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPackaged, sourceStamp } from '../bin/source-stamp.js';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fmu-gateway') return realpathSync(dir);
      } catch {
        // an unreadable package.json is not ours: keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`fmu-gateway: cannot find the package root above ${start}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** Where `npm run build` puts the worker bundle and the FMU parsing thread's bundle. */
export const RUNNER_BUILD_DIR = join(PROJECT_ROOT, 'build', 'runner');

/**
 * `build/runner/<file>` when it matches the sources (the stamp the build recorded in
 * worker-stamp.json), or always in an installed package (no sources to be newer); else undefined.
 */
export function freshRunnerBundle(file: string): string | undefined {
  const path = join(RUNNER_BUILD_DIR, file);
  if (!existsSync(path)) return undefined;
  if (isPackaged(PROJECT_ROOT)) return path;
  try {
    const built = (JSON.parse(readFileSync(join(RUNNER_BUILD_DIR, 'worker-stamp.json'), 'utf8')) as { stamp?: string }).stamp;
    // The launcher walked the same sources a moment ago (bin/fmu-gateway.js): reuse that walk.
    return built === sourceStamp(PROJECT_ROOT, { reuseWithinMs: 2000 }) ? path : undefined;
  } catch {
    return undefined;
  }
}
