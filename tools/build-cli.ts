/**
 * Bundles the CLI (src/cli.ts and everything it imports, dynamic imports included) into
 * build/cli/cli.mjs with esbuild, and records the source stamp the launcher checks
 * (bin/source-stamp.js). Native addons stay external and resolve from node_modules.
 */
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sourceStamp } from '../bin/source-stamp.js';
import { prebuildWorkerBundle } from '../src/runner/worker-bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'build', 'cli');

interface Esbuild {
  buildSync(options: Record<string, unknown>): unknown;
  build(options: Record<string, unknown>): Promise<unknown>;
}

interface PluginBuild {
  onResolve(options: { filter: RegExp }, callback: (args: { path: string; importer: string }) => { path: string } | undefined): void;
}

/**
 * zod's `z.locales` namespace re-exports all of its ~60 locales, which the bundle would compile at
 * every start (about half of zod's load time: ~0.1 s on a loaded 2-core machine). We use the
 * default locale only (English, which zod registers by itself, src/ never switches): the
 * namespace keeps `en` and nothing else. See docs/architecture.md (start-up).
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build: PluginBuild): void {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]v4[/\\](classic|core|mini)[/\\]/.test(args.importer) ? { path: join(root, 'tools', 'zod-locales-en.js') } : undefined,
    );
  },
};

/**
 * Packages the CLI bundle leaves to node_modules (see buildCli). Native addons, packages serving
 * their own files, the bundler, large export-only or optional (scale-out) packages.
 */
const CLI_EXTERNAL = [
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
];

/**
 * The commands the launcher runs from their own CommonJS bundle with a V8 code cache
 * (bin/code-cache.js): a second start of these skips parsing and compiling what the first ran
 * (`simulate` msl:BouncingBall: about half of the main thread's JavaScript time). Each entry: the
 * command's module (under src/cli/) and its run function. A command added here needs nothing
 * else: the launcher finds it in build/cli/stamp.json ("cached").
 */
export const CACHED_COMMANDS: Record<string, { module: string; run: string }> = {
  simulate: { module: 'simulate.ts', run: 'runSimulateCommand' },
};

/**
 * Lazily used dependencies a cached command's bundle loads from node_modules instead of carrying
 * them: one script has no chunks, so every byte of it is read and hashed at each start even when
 * the code never runs (payments, PostgreSQL / Redis stores, the remote client). All are CommonJS-
 * loadable (the bundle require()s them) and regular dependencies.
 */
const CACHED_EXTRA_EXTERNAL = ['undici', 'stripe', 'pg', '@keyv/redis', '@keyv/postgres'];

/** One cached command's CommonJS bundle → <dir>/cached/<name>.cjs; returns its content hash. */
async function buildCachedCommand(esbuild: Esbuild, dir: string, name: string, entry: { module: string; run: string }): Promise<string> {
  const out = join(dir, 'cached', `${name}.cjs`);
  await esbuild.build({
    stdin: {
      contents: [
        `import { runCli } from './src/cli/main.ts';`,
        `import { markStartup } from './src/startup-trace.ts';`,
        `import { ${entry.run} } from './src/cli/${entry.module}';`,
        `markStartup('bundle loaded');`,
        `runCli(process.argv.slice(2), { ${JSON.stringify(name)}: async () => ${entry.run} });`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: `cached-${name}.ts`,
      loader: 'ts',
    },
    plugins: [zodEnglishOnly],
    bundle: true,
    platform: 'node',
    // A script, not a module: vm.Script can take a code cache (bin/code-cache.js), an ES module cannot on node 20.
    format: 'cjs',
    target: 'node20',
    outfile: out,
    // bin/code-cache.js passes these two to the script (CommonJS has no import.meta).
    define: { 'import.meta.url': '__fmuImportMetaUrl', 'import.meta.resolve': '__fmuImportMetaResolve' },
    external: [...CLI_EXTERNAL, ...CACHED_EXTRA_EXTERNAL],
    // Read whole at every start: without comments and indentation it is ~40% smaller, and pure
    // ASCII (esbuild escapes the rest; comments were the only other bytes), which the launcher
    // reads as latin1, skipping UTF-8 decoding. Names stay (stack traces, error classes).
    minifyWhitespace: true,
    charset: 'ascii',
    logLevel: 'warning',
  });
  // import() of an external package (parquet-wasm): a vm.Script has no module loader of its own
  // (node 20's vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER warns on stderr, and lost its
  // callback in a long run here), so the launcher hands the script its own import() as __fmuImport.
  // esbuild prints specifiers with double quotes; JSDoc mentions use single quotes or none.
  const code = readFileSync(out, 'utf8').replace(/(?<![\w$.])import\((?=")/g, '__fmuImport(');
  if (/[^\p{ASCII}]/u.test(code)) throw new Error(`${out}: not pure ASCII (bin/code-cache.js reads it as latin1)`);
  writeFileSync(out, code);
  return createHash('sha256').update(code).digest('hex').slice(0, 32);
}

export async function buildCli(): Promise<string> {
  // esbuild ships with tsx (and is a declared dependency): resolve it the same way the worker bundler does.
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  mkdirSync(join(root, 'build'), { recursive: true });
  const stamp = sourceStamp(root);
  const tmp = join(root, 'build', `cli.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { cli: join(root, 'src', 'cli.ts') },
    plugins: [zodEnglishOnly],
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
    external: CLI_EXTERNAL,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const cached: Record<string, { file: string; hash: string }> = {};
  for (const [name, entry] of Object.entries(CACHED_COMMANDS)) {
    cached[name] = { file: `cached/${name}.cjs`, hash: await buildCachedCommand(esbuild, tmp, name, entry) };
  }
  writeFileSync(join(tmp, 'stamp.json'), JSON.stringify({ stamp, built_at: new Date().toISOString(), cached }));
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
    const cli = await buildCli();
    const worker = await prebuildWorkerBundle([zodEnglishOnly]);
    process.stderr.write(`cli bundle: ${cli}\nworker bundle: ${worker}\nlibrary tool: ${buildLibraryTool()}\n`);
  } catch (e) {
    // --if-possible (npm install): the launcher runs the sources through tsx without a bundle.
    process.stderr.write(`bundling failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
