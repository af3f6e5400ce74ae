#!/usr/bin/env node
// Launcher. `npm install` / `npm run build` bundle the CLI into build/cli/cli.mjs (start-up in
// ~0.1 s instead of ~0.5 s through the TypeScript loader); the bundle runs only while it matches
// the sources. Otherwise (sources edited since, or no bundle) tsx runs src/cli.ts directly.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from './source-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = new URL('../build/cli/cli.mjs', import.meta.url);
const stampFile = new URL('../build/cli/stamp.json', import.meta.url);

function bundleIsFresh() {
  if (process.env.FMU_GATEWAY_NO_BUNDLE === '1' || !existsSync(bundle) || !existsSync(stampFile)) return false;
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8')).stamp === sourceStamp(root);
  } catch {
    return false;
  }
}

if (bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
