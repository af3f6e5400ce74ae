#!/usr/bin/env node
// `npm install` hook (plain JavaScript: it runs before anything is built, and in an installed
// package, where there is neither tsx nor TypeScript).
// - In a git checkout: build the model library (when a C compiler exists), the CLI and worker
//   bundles and the library exports, from the TypeScript sources (as `npm run build` does, but
//   never failing the install).
// - In an installed package: the tarball already holds the built JavaScript and the library's
//   FMUs with linux-x86_64 binaries (built by `prepack`). Only on another platform, and only when
//   a C compiler exists, the library is compiled from its C sources (build/tools/build-library.mjs).
//   npm may also not run this hook at all (dependency scripts need allowScripts): nothing here is
//   required on linux-x86_64; elsewhere `fmu-gateway library` and doctor say what to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPackaged } from './source-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

if (!isPackaged(root)) {
  const tsx = ['--import', 'tsx'];
  if (run([...tsx, 'tools/build-library.ts', '--if-compiler']) !== 0) process.exitCode = 1;
  run([...tsx, 'tools/build-stepper.ts', '--if-compiler']); // optional: the engine's native stepping loops
  // The MCP handshake answers are recorded from the CLI bundle just built (only when it was).
  if (run([...tsx, 'tools/build-cli.ts', '--if-possible']) === 0) run([...tsx, 'tools/build-mcp-early.ts', '--if-possible']);
  run([...tsx, 'tools/build-client.ts', '--if-possible']);
  run([...tsx, 'tools/build-app.ts', '--if-possible']);
} else {
  const prebuiltFits =
    process.platform === 'linux' && process.arch === 'x64' && existsSync(new URL('../build/library/catalog.json', import.meta.url));
  if (!prebuiltFits) run(['build/tools/build-library.mjs', '--if-compiler', '--force']);
}
