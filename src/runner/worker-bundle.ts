/**
 * What a worker process runs, and which host files its sandbox must show for that.
 *
 * The worker is one JavaScript bundle (build/runner/worker.mjs: worker-main.ts and everything it
 * imports) plus one native addon, koffi. The bundle does not import koffi by package name: the
 * parent resolves koffi (and the platform package holding its .node file) by REAL path, wherever
 * npm, npx, a global install or a pnpm-style store put them, and hands the path to the worker
 * (FMU_GATEWAY_KOFFI). So the sandbox binds exactly: the bundle, the package's package.json, and
 * those two addon folders — never a node_modules tree whose layout we would have to guess.
 *
 * Where the sandbox user cannot reach those files (a package under /root, e.g. npx's cache, run
 * by root: bwrap runs as an unprivileged uid), they are copied once per process into a private,
 * world-readable folder under the OS temp dir, and that copy is bound instead.
 *
 * In a git checkout the bundle is rebuilt when the sources changed (content-hashed, ~150 ms);
 * when esbuild is unavailable the worker runs the TypeScript through tsx, with the checkout's
 * src/ and node_modules bound as before.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// The launcher's plain-JS source fingerprint: one definition for the CLI and worker bundles.
import { isPackaged, sourceStamp } from '../../bin/source-stamp.js';
import { GatewayError } from '../errors.ts';
import { freshRunnerBundle, PROJECT_ROOT, RUNNER_BUILD_DIR } from '../project-root.ts';
import { removeOrphanedRoots, traversableByOthers } from './staging.ts';

export const BUNDLE_DIR = RUNNER_BUILD_DIR;
const WORKER_MAIN = join(PROJECT_ROOT, 'src', 'runner', 'worker-main.ts');
const KOFFI_SHIM = join(PROJECT_ROOT, 'src', 'fmi', 'koffi-by-path.ts');
/** The environment variable through which the bundle learns where koffi is (read by koffi-by-path.ts). */
export const KOFFI_ENV = 'FMU_GATEWAY_KOFFI';

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { path: string; contents: Uint8Array }[] };
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { path: string; contents: Uint8Array }[] }>;
}

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

/** The bundle `npm run build` (and so `npm pack`) leaves for the current sources (checked by their stamp). */
const PREBUILT = join(BUNDLE_DIR, 'worker.mjs');
const PREBUILT_STAMP = join(BUNDLE_DIR, 'worker-stamp.json');

/** The FMU parsing thread (src/fmi/archive-thread.ts), bundled beside the worker by the same build. */
const PREBUILT_THREAD = join(BUNDLE_DIR, 'archive-thread.mjs');

/** esbuild options of a runner bundle (worker, parsing thread). */
function bundleOptions(entry: string): Record<string, unknown> {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // `import koffi from 'koffi'` becomes koffi-by-path.ts: koffi is loaded from the path the parent resolved.
    alias: { koffi: KOFFI_SHIM },
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  };
}

// esbuild is a devDependency (and tsx's compiler): only a checkout rebuilds the worker.
const esbuild = (): EsbuildLike => createRequire(import.meta.resolve('tsx'))('esbuild') as EsbuildLike;

function bundle(entry: string): Uint8Array {
  const code = esbuild().buildSync(bundleOptions(entry)).outputFiles?.[0]?.contents;
  if (code === undefined) throw new Error('esbuild produced no output');
  return code;
}

/** The same with esbuild plugins (async API only): `npm run build` trims the bundles (tools/build-cli.ts). */
async function bundleWith(entry: string, plugins: unknown[]): Promise<Uint8Array> {
  const code = (await esbuild().build({ ...bundleOptions(entry), plugins })).outputFiles?.[0]?.contents;
  if (code === undefined) throw new Error('esbuild produced no output');
  return code;
}

const bundleWorker = (): Uint8Array => bundle(WORKER_MAIN);

function writeAtomically(file: string, code: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code, { mode: 0o644 });
  renameSync(tmp, file);
}

/**
 * Where the prebuilt worker's lazily imported chunks go (beside worker.mjs, so the sandbox's bind
 * of build/runner shows them). Split, the worker compiles at start only what it runs before
 * `ready`: the model-description parser (zod, fast-xml-parser: ~0.6 MB of the ~0.85 MB) is a chunk
 * it imports only when a job arrives without a parsed model description.
 */
export const WORKER_CHUNKS = 'worker-chunks';

/** The worker as an entry plus content-hashed chunks (`npm run build` only; a checkout's rebuild stays one file). */
async function writeSplitWorker(plugins: unknown[]): Promise<void> {
  const built = await esbuild().build({
    ...bundleOptions(WORKER_MAIN),
    entryPoints: { worker: WORKER_MAIN },
    plugins,
    splitting: true,
    outdir: BUNDLE_DIR,
    chunkNames: `${WORKER_CHUNKS}/[name]-[hash]`,
    outExtension: { '.js': '.mjs' },
  });
  const files = built.outputFiles ?? [];
  const entry = files.find((f) => f.path === PREBUILT);
  if (entry === undefined) throw new Error('esbuild produced no worker entry');
  // Chunks first (new names: a running worker of the previous build keeps its own), the entry last.
  const chunkDir = join(BUNDLE_DIR, WORKER_CHUNKS);
  mkdirSync(chunkDir, { recursive: true, mode: 0o755 });
  const keep = new Set<string>();
  for (const f of files) {
    if (f === entry) continue;
    keep.add(f.path);
    if (!existsSync(f.path)) writeAtomically(f.path, f.contents);
  }
  writeAtomically(PREBUILT, entry.contents);
  // Chunks of older builds a running pool may still import: kept a day, like the checkout bundles.
  const cutoff = Date.now() - 24 * 3600 * 1000;
  for (const name of readdirSync(chunkDir)) {
    const p = join(chunkDir, name);
    try {
      if (!keep.has(p) && statSync(p).mtimeMs < cutoff) rmSync(p, { force: true });
    } catch {
      // removed concurrently
    }
  }
}

/** Called by `npm run build` (tools/build-cli.ts): the worker bundle for the current sources. */
export async function prebuildWorkerBundle(plugins: unknown[] = []): Promise<string> {
  const stamp = sourceStamp(PROJECT_ROOT);
  await writeSplitWorker(plugins);
  // The parsing thread runs in the gateway's own process (no sandbox): its dependencies resolve
  // from the package as usual, so only koffi-free code goes in; it is bundled to run without tsx.
  writeAtomically(PREBUILT_THREAD, await bundleWith(join(PROJECT_ROOT, 'src', 'fmi', 'archive-thread.ts'), plugins));
  writeFileSync(PREBUILT_STAMP, JSON.stringify({ stamp }));
  return PREBUILT;
}

/** koffi's entry file and the folder of its native platform package, as real paths. */
export interface NativeAddon {
  /** koffi's package folder (real path). */
  dir: string;
  /** The file the worker requires. */
  entry: string;
  /** The platform package with the .node file (real path) and where koffi looks for it. */
  native?: { dir: string; mountAt: string };
}

/** The folder of the package a resolved file belongs to (packages need not export package.json). */
function packageDir(file: string, name: string): string {
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name) return realpathSync(dir);
    } catch {
      // no package.json here: keep walking up
    }
  }
  throw new Error(`no package.json of ${name} above ${file}`);
}

/** koffi as Node resolves it from the package at `root` (real paths, whatever the layout: hoisted, nested, pnpm store). */
export function resolveKoffi(root = PROJECT_ROOT): NativeAddon {
  let dir: string;
  try {
    dir = packageDir(createRequire(join(root, 'package.json')).resolve('koffi'), 'koffi');
  } catch (e) {
    throw new GatewayError(
      'WORKER_START_FAILED',
      `The worker cannot start: module koffi was not found (looked from ${root}): ${(e as Error).message}`,
      {
        module: 'koffi',
        path: root,
      },
    );
  }
  // koffi finds its binary in the platform package beside it (../@koromix/koffi-<os>-<arch>),
  // by that path and by require(): a pnpm store links it there, npm hoists it there.
  const name = `@koromix/koffi-${process.platform}-${process.arch}`;
  const mountAt = join(dirname(dir), name);
  let native: NativeAddon['native'];
  try {
    native = { dir: packageDir(createRequire(join(dir, 'index.cjs')).resolve(name), name), mountAt };
  } catch {
    // No platform package: koffi was built from source into its own build/ folder.
  }
  return { dir, entry: join(dir, 'index.cjs'), ...(native !== undefined ? { native } : {}) };
}

export interface WorkerRuntime {
  /** Arguments after `node`. */
  nodeArgs: string[];
  /** Added to the worker's minimal environment. */
  env: Record<string, string>;
  /** bwrap arguments binding (read-only) what the worker loads, at the paths it loads them from. */
  binds: string[];
  /** A file or folder of the package inside the sandbox (the self-test checks it is not writable). */
  packagePath: string;
  /** Where the files came from, for doctor: 'package' (bound in place) or the private copy. */
  source: string;
}

let cached: WorkerRuntime | undefined;

const ro = (from: string, to = from): string[] => ['--ro-bind', from, to];

/** The runtime of a worker bundle inside the package at `root` (exported for tests of other layouts). */
export function bundleRuntime(bundle: string, root = PROJECT_ROOT): WorkerRuntime {
  const koffi = resolveKoffi(root);
  const pkg = join(root, 'package.json');
  const paths = [bundle, pkg, koffi.dir, ...(koffi.native !== undefined ? [koffi.native.dir] : [])];
  if (paths.every((p) => traversableByOthers(dirname(p)))) {
    return {
      nodeArgs: [bundle],
      env: { [KOFFI_ENV]: koffi.entry },
      binds: [
        ...ro(dirname(bundle)),
        ...ro(pkg),
        ...ro(koffi.dir),
        ...(koffi.native !== undefined ? ro(koffi.native.dir, koffi.native.mountAt) : []),
      ],
      packagePath: dirname(bundle),
      source: 'package',
    };
  }
  return copiedRuntime(bundle, pkg, koffi);
}

/** The worker's files copied where an unprivileged sandbox user can read them (see the header). */
function copiedRuntime(bundle: string, pkg: string, koffi: NativeAddon): WorkerRuntime {
  const parent = tmpdir();
  removeOrphanedRoots(parent, 'fmu-gateway-runtime-');
  const root = mkdtempSync(join(parent, `fmu-gateway-runtime-${process.pid}-`));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const runner = join(root, 'build', 'runner');
  mkdirSync(runner, { recursive: true });
  cpSync(bundle, join(runner, 'worker.mjs'));
  const chunks = join(dirname(bundle), WORKER_CHUNKS);
  if (existsSync(chunks)) cpSync(chunks, join(runner, WORKER_CHUNKS), { recursive: true, dereference: true });
  // The native stepping helper (src/fmi/stepper-path.ts looks for it beside the bundle): without
  // it the copy would step call by call, correct but several times slower per step.
  const native = join(dirname(bundle), 'native');
  if (existsSync(native)) cpSync(native, join(runner, 'native'), { recursive: true, dereference: true });
  cpSync(pkg, join(root, 'package.json'));
  const koffiCopy = join(root, 'node_modules', 'koffi');
  cpSync(koffi.dir, koffiCopy, { recursive: true, dereference: true });
  if (koffi.native !== undefined) {
    cpSync(koffi.native.dir, join(root, 'node_modules', koffi.native.mountAt.slice(dirname(koffi.dir).length + 1)), {
      recursive: true,
      dereference: true,
    });
  }
  makeWorldReadable(root);
  return {
    nodeArgs: [join(runner, 'worker.mjs')],
    env: { [KOFFI_ENV]: join(koffiCopy, 'index.cjs') },
    binds: ro(root),
    packagePath: root,
    source: `copy in ${root} (the package folder is not readable by the sandbox user)`,
  };
}

function makeWorldReadable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) makeWorldReadable(p);
    else chmodSync(p, (statSync(p).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** A checkout without esbuild: tsx runs the sources, which need src/ and node_modules. */
function tsxRuntime(): WorkerRuntime {
  const binds: string[] = [];
  for (const entry of ['package.json', 'tsconfig.json', 'src', 'node_modules', 'build/runner']) {
    const p = join(PROJECT_ROOT, entry);
    if (existsSync(p)) binds.push(...ro(p));
  }
  return {
    nodeArgs: ['--import', import.meta.resolve('tsx'), WORKER_MAIN],
    env: {},
    binds,
    packagePath: join(PROJECT_ROOT, 'src'),
    source: 'package (TypeScript sources through tsx)',
  };
}

/**
 * How to start a worker: the prebuilt bundle when it matches the sources (always, in an installed
 * package), else a bundle made now (content-hashed so concurrent pools agree), else tsx + the
 * sources. Throws WORKER_START_FAILED when an installed package lacks its bundle or koffi.
 */
export function workerRuntime(): WorkerRuntime {
  if (cached !== undefined) return cached;
  const prebuilt = freshRunnerBundle('worker.mjs');
  if (prebuilt !== undefined) return (cached = bundleRuntime(prebuilt));
  if (isPackaged(PROJECT_ROOT)) {
    throw new GatewayError(
      'WORKER_START_FAILED',
      `The worker cannot start: the package has no worker bundle (tried ${PREBUILT}); reinstall fmu-gateway.`,
      {
        module: 'worker.mjs',
        path: PREBUILT,
      },
    );
  }
  let file: string;
  try {
    const code = bundleWorker();
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    file = join(BUNDLE_DIR, `worker-${hash}.mjs`);
    if (!existsSync(file)) {
      writeAtomically(file, code);
      pruneOldBundles();
    }
  } catch (e) {
    process.stderr.write(`fmu-gateway: worker bundle unavailable (${(e as Error).message.split('\n')[0]}); using tsx\n`);
    return (cached = tsxRuntime());
  }
  return (cached = bundleRuntime(file));
}

/** node arguments that start a worker (see workerRuntime). */
export function workerNodeArgs(): string[] {
  return workerRuntime().nodeArgs;
}
