/**
 * Builds the package's `fmu-gateway/client` export: src/client.ts bundled to dist/client/index.js
 * (ESM; undici and zod stay dependencies) plus type declarations from tsc, whose relative `.ts`
 * imports are rewritten to `.js` so any TypeScript consumer resolves them.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'client');

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
  const tmpDir = `${outDir}.${process.pid}.tmp`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  esbuild.buildSync({
    entryPoints: [join(root, 'src', 'client.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(tmpDir, 'index.js'),
    external: ['undici', 'zod'],
    logLevel: 'warning',
  });
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json'), '--outDir', join(tmpDir, 'types')], {
    encoding: 'utf8',
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`tsc (client declarations) failed:\n${r.stdout}${r.stderr}`);
  rewriteDeclarations(join(tmpDir, 'types'));
  writeFileSync(join(tmpDir, 'index.d.ts'), "export * from './types/client.js';\n");
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmpDir, outDir);
  return join(outDir, 'index.js');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.stderr.write(`client: ${buildClient()}\n`);
  } catch (e) {
    // --if-possible (npm install without devDependencies): the client export is then missing.
    process.stderr.write(`client build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
