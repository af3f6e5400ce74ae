#!/usr/bin/env node
// Launcher. An installed package (npm pack ships no src/) always runs the bundle that `prepack`
// built: build/cli/cli.mjs, plain JavaScript, no TypeScript loader. In a git checkout,
// `npm install` / `npm run build` bundle the CLI too (start-up ~0.1 s instead of ~0.5 s through
// tsx); the bundle runs only while it matches the sources, otherwise tsx runs src/cli.ts.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPackaged, sourceStamp } from './source-stamp.js';

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

const first = process.argv[2];
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
  await import(bundle.href);
} else if (bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
