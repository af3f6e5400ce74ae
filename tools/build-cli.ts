/**
 * Bundles the CLI (src/cli.ts and everything it imports, dynamic imports included) into
 * build/cli/cli.mjs with esbuild, and records the source stamp the launcher checks
 * (bin/source-stamp.js). Native addons stay external and resolve from node_modules.
 */
import { fileURLToPath } from 'node:url';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sourceStamp } from '../bin/source-stamp.js';
import { prebuildWorkerBundle } from '../src/runner/worker-bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'build', 'cli');

interface Esbuild {
  buildSync(options: Record<string, unknown>): unknown;
}

export function buildCli(): string {
  // esbuild ships with tsx (and is a declared dependency): resolve it the same way the worker bundler does.
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  mkdirSync(join(root, 'build'), { recursive: true });
  const stamp = sourceStamp(root);
  const tmp = join(root, 'build', `cli.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: { cli: join(root, 'src', 'cli.ts') },
    bundle: true,
    // One chunk per lazily loaded command: an external package is imported (and evaluated) only
    // by the chunk that uses it, so `fmu-gateway --version` does not load Fastify, Stripe or Arrow.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: tmp,
    // Loaded from node_modules at run time: native addons (koffi, resvg, sqlite3 finds its .node
    // file from its own __filename), packages that serve their own files through __dirname
    // (@fastify/swagger-ui's assets), the bundler itself, apache-arrow (large, export only) and
    // parquet-wasm (an optional dependency that loads its .wasm file beside itself).
    external: ['koffi', '@resvg/resvg-js', 'esbuild', 'tsx', 'tsx/*', 'sqlite3', '@fastify/swagger-ui', 'apache-arrow', 'parquet-wasm'],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  writeFileSync(join(tmp, 'stamp.json'), JSON.stringify({ stamp, built_at: new Date().toISOString() }));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  return join(outDir, 'cli.mjs');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.stderr.write(`cli bundle: ${buildCli()}\nworker bundle: ${prebuildWorkerBundle()}\n`);
  } catch (e) {
    // --if-possible (npm install): the launcher runs the sources through tsx without a bundle.
    process.stderr.write(`bundling failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
