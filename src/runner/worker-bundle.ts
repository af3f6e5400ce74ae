/**
 * Worker start-up time matters (a replacement worker is needed after every crash, timeout or
 * FMU change): node + the tsx loader + transpiling the engine takes ~400 ms, a pre-built
 * JavaScript bundle ~60 ms. So the pool bundles worker-main.ts once with esbuild (already
 * present as tsx's compiler) into build/runner/worker-<content hash>.mjs, next to
 * node_modules so the one external import (koffi, a native addon) resolves. Any failure falls
 * back to running the TypeScript through tsx.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
// The launcher's plain-JS source fingerprint: one definition for the CLI and worker bundles.
import { sourceStamp } from '../../bin/source-stamp.js';
import { PROJECT_ROOT } from './sandbox.ts';

export const BUNDLE_DIR = join(PROJECT_ROOT, 'build', 'runner');
const WORKER_MAIN = join(PROJECT_ROOT, 'src', 'runner', 'worker-main.ts');

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { contents: Uint8Array }[] };
}

let cached: string[] | undefined;

/** Bundles of older sources pile up during development; a running pool may still use one, so keep a day's worth. */
function pruneOldBundles(): void {
  const cutoff = Date.now() - 24 * 3600 * 1000;
  for (const f of readdirSync(BUNDLE_DIR)) {
    const p = join(BUNDLE_DIR, f);
    try {
      if (/^worker-[0-9a-f]{16}\.mjs$/.test(f) && statSync(p).mtimeMs < cutoff) rmSync(p, { force: true });
    } catch {
      // removed concurrently
    }
  }
}

/** The bundle `npm run build` leaves for the current sources (checked by their stamp). */
const PREBUILT = join(BUNDLE_DIR, 'worker.mjs');
const PREBUILT_STAMP = join(BUNDLE_DIR, 'worker-stamp.json');

function prebuiltIsFresh(): boolean {
  try {
    return (
      existsSync(PREBUILT) && (JSON.parse(readFileSync(PREBUILT_STAMP, 'utf8')) as { stamp?: string }).stamp === sourceStamp(PROJECT_ROOT)
    );
  } catch {
    return false;
  }
}

function bundleWorker(): Uint8Array {
  // esbuild is a dependency of tsx; resolve it from there rather than assume it is hoisted.
  const esbuild = createRequire(import.meta.resolve('tsx'))('esbuild') as EsbuildLike;
  const out = esbuild.buildSync({
    entryPoints: [WORKER_MAIN],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    write: false,
    logLevel: 'silent',
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const code = out.outputFiles?.[0]?.contents;
  if (code === undefined) throw new Error('esbuild produced no output');
  return code;
}

function writeAtomically(file: string, code: Uint8Array): void {
  mkdirSync(BUNDLE_DIR, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code, { mode: 0o644 });
  renameSync(tmp, file);
}

/** Called by `npm run build` (tools/build-cli.ts): the worker bundle for the current sources. */
export function prebuildWorkerBundle(): string {
  const stamp = sourceStamp(PROJECT_ROOT);
  writeAtomically(PREBUILT, bundleWorker());
  writeFileSync(PREBUILT_STAMP, JSON.stringify({ stamp }));
  return PREBUILT;
}

/**
 * node arguments that start a worker: the prebuilt bundle when it matches the sources, else a
 * bundle made now (~150 ms, content-hashed so concurrent pools agree), else tsx + the source.
 */
export function workerNodeArgs(): string[] {
  if (cached !== undefined) return cached;
  if (prebuiltIsFresh()) return (cached = [PREBUILT]);
  try {
    const code = bundleWorker();
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const file = join(BUNDLE_DIR, `worker-${hash}.mjs`);
    if (!existsSync(file)) {
      writeAtomically(file, code);
      pruneOldBundles();
    }
    cached = [file];
  } catch (e) {
    process.stderr.write(`fmu-gateway: worker bundle unavailable (${(e as Error).message.split('\n')[0]}); using tsx\n`);
    cached = ['--import', import.meta.resolve('tsx'), WORKER_MAIN];
  }
  return cached;
}
