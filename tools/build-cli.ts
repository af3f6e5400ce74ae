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
    // Loaded from node_modules at run time: native addons (koffi, resvg, libsql finds its
    // platform package from its own location), packages that serve their own files through __dirname
    // (@fastify/swagger-ui's assets), the bundler itself, and apache-arrow (large, export only), parquet-wasm (optional, loads its .wasm beside itself).
    // bullmq / ioredis / the AWS SDK: optional (scale-out only), loaded lazily from node_modules,
    // so a package without them fails that feature with OPTIONAL_DEPENDENCY_MISSING.
    external: [
      'koffi',
      '@resvg/resvg-js',
      'esbuild',
      'tsx',
      'tsx/*',
      'libsql',
      '@fastify/swagger-ui',
      'apache-arrow',
      'bullmq',
      'ioredis',
      '@aws-sdk/*',
      'parquet-wasm',
    ],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  writeFileSync(join(tmp, 'stamp.json'), JSON.stringify({ stamp, built_at: new Date().toISOString() }));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  return join(outDir, 'cli.mjs');
}

/**
 * tools/build-library.ts as plain JavaScript (build/tools/build-library.mjs), for an installed
 * package: it compiles the library's C (shipped in library/) where no prebuilt FMU fits the
 * machine, with only the package's runtime dependencies (no tsx, no TypeScript).
 */
export function buildLibraryTool(): string {
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  const out = join(root, 'build', 'tools', 'build-library.mjs');
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(join(root, 'build', 'tools'), { recursive: true });
  esbuild.buildSync({
    entryPoints: [join(root, 'tools', 'build-library.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  renameSync(tmp, out);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.stderr.write(`cli bundle: ${buildCli()}\nworker bundle: ${prebuildWorkerBundle()}\nlibrary tool: ${buildLibraryTool()}\n`);
  } catch (e) {
    // --if-possible (npm install): the launcher runs the sources through tsx without a bundle.
    process.stderr.write(`bundling failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
