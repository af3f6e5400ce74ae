/**
 * Builds the package's library exports as plain JavaScript + type declarations:
 * - `fmu-gateway/client` (src/client.ts) -> dist/client/index.js + index.d.ts
 * - `fmu-gateway` (src/index.ts)         -> dist/index.js + index.d.ts
 * Each entry is bundled with esbuild (ESM; every npm package stays an import of the installed
 * dependency); declarations come from one tsc run (tsconfig.client.json) into dist/types, with
 * relative `.ts` imports rewritten to `.js` so any TypeScript consumer resolves them.
 * Run by `npm run build` (and so by `prepack`): an installed package needs neither tsc nor esbuild.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from '../bin/source-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist');

interface Esbuild {
  buildSync(options: Record<string, unknown>): unknown;
}

function rewriteDeclarations(dir: string): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) rewriteDeclarations(full);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(full, 'utf8');
      writeFileSync(
        full,
        text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2').replace(/(import\(['"]\.{1,2}\/[^'"]+)\.ts(['"]\))/g, '$1.js$2'),
      );
    }
  }
}

export function buildClient(): string {
  const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
  const stamp = sourceStamp(root);
  const tmpDir = `${outDir}.${process.pid}.tmp`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: { 'client/index': join(root, 'src', 'client.ts'), index: join(root, 'src', 'index.ts') },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: tmpDir,
      // Modules the sources import lazily (payments, Arrow, plots, the store backends) become
      // chunks loaded on first use: `import 'fmu-gateway'` does not evaluate Stripe or Arrow.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      // Dependencies are imported from node_modules (koffi, libsql and the rest are installed with us).
      packages: 'external',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json'), '--outDir', join(tmpDir, 'types')], {
      encoding: 'utf8',
      cwd: root,
    });
    if (r.status !== 0) throw new Error(`tsc (declarations) failed:\n${r.stdout}${r.stderr}`);
    rewriteDeclarations(join(tmpDir, 'types'));
    writeFileSync(join(tmpDir, 'client', 'index.d.ts'), "export * from '../types/client.js';\n");
    writeFileSync(join(tmpDir, 'index.d.ts'), "export * from './types/index.js';\n");
    // The sources this was built from (bin/source-stamp.js), as for the CLI and worker bundles.
    writeFileSync(join(tmpDir, 'stamp.json'), JSON.stringify({ stamp }));
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmpDir, outDir);
  } finally {
    // A failed build leaves nothing behind (no dist.<pid>.tmp in the package).
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return join(outDir, 'index.js');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.stderr.write(`library exports: ${buildClient()}\n`);
  } catch (e) {
    // --if-possible (npm install in a checkout): only `fmu-gateway/client` from outside needs dist/.
    process.stderr.write(`client build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
