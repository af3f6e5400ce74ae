#!/usr/bin/env node
// Launcher. An installed package (npm pack ships no src/) always runs the bundle that `prepack`
// built: build/cli/cli.mjs, plain JavaScript, no TypeScript loader. In a git checkout,
// `npm install` / `npm run build` bundle the CLI too (start-up ~0.1 s instead of ~0.5 s through
// tsx); the bundle runs only while it matches the sources, otherwise tsx runs src/cli.ts.
// A hot command with its own CommonJS bundle (build/cli/stamp.json "cached", tools/build-cli.ts)
// runs from that bundle with a V8 code cache (bin/code-cache.js): its second start skips parsing
// and compiling.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPackaged, sourceStamp } from './source-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = new URL('../build/cli/cli.mjs', import.meta.url);
const stampFile = new URL('../build/cli/stamp.json', import.meta.url);

/** build/cli/stamp.json, or undefined (no bundle built, unreadable). */
function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return undefined;
  }
}

function bundleIsFresh(stamp) {
  if (process.env.FMU_GATEWAY_NO_BUNDLE === '1' || !existsSync(bundle)) return false;
  return stamp !== undefined && stamp.stamp === sourceStamp(root);
}

/**
 * Runs the bundle: the command's code-cached one when it has one (unless
 * FMU_GATEWAY_CODE_CACHE=0), else build/cli/cli.mjs.
 */
async function runBundle(stamp) {
  const cached = process.env.FMU_GATEWAY_CODE_CACHE === '0' ? undefined : stamp?.cached?.[first];
  if (cached !== undefined && typeof cached.file === 'string' && /^[0-9a-f]{32}$/.test(cached.hash ?? '')) {
    const file = fileURLToPath(new URL(`../build/cli/${cached.file}`, import.meta.url));
    if (existsSync(file)) {
      const { codeCacheDir, runWithCodeCache } = await import('./code-cache.js');
      runWithCodeCache(file, { name: first, hash: cached.hash, cacheDir: codeCacheDir() });
      return;
    }
  }
  await import(bundle.href);
}

const first = process.argv[2];
let stamp;
if (first === '--version' || first === '-v') {
  // The version is package.json's: printed here, without checking or loading the bundle (the
  // same text as src/version.ts's ENGINE_VERSION, which reads the same file).
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`fmu-gateway ${version}\n`);
} else if (isPackaged(root)) {
  if (!existsSync(bundle)) {
    process.stderr.write(`fmu-gateway: this installation is incomplete: ${fileURLToPath(bundle)} is missing. Reinstall fmu-gateway.\n`);
    process.exit(1);
  }
  await runBundle(readStamp());
} else if (bundleIsFresh((stamp = readStamp()))) {
  await runBundle(stamp);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
