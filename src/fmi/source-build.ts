/**
 * Source-code FMUs: when an FMU has no binary for this platform but carries sources/, compile
 * them with the system C compiler into <cacheDir>/<sha256>-build/<platform>/<modelIdentifier><ext>.
 * The build runs in a temporary directory and the library is renamed into place, so readers never
 * see a half-written file and the unpacked FMU tree is never written to. Cached by sha256.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { escapeForText } from '../text-escape.ts';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { InterfaceKind } from '../schemas/model-description.ts';
import { PreprocessorDefineSchema } from '../schemas/upload.ts';
import { fmi2SourceFiles, parseXmlTree } from './model-description.ts';
import type { OpenedFmu } from './opened-fmu.ts';
import { currentPlatform, findBinary, modelIdentifierOf, platformFolder } from './platform.ts';
import { readBuildDescription } from './source-build-description.ts';
import type { CompileLimiter, CompileSlot } from './source-build-limit.ts';
import { compileCommand, resolveCommand } from './source-build-sandbox.ts';
import { resolveInside } from './safe-path.ts';
import { FMI_HEADERS_DIR, prefixAliases, type UserCompileOptions } from './source-build-options.ts';

export interface EnsureBinaryOptions {
  cacheDir: string;
  /** Compiler executable; default: the first of cc, gcc, clang that runs. */
  compiler?: string;
  /** Wall-clock limit for one compiler run (default 120 s). */
  timeoutMs?: number;
  /** Extra host include directories searched after the FMU's own (before the gateway's FMI headers). */
  includeDirs?: readonly string[];
  /**
   * The uploader's compile options (include dirs inside sources/, -D definitions), validated by
   * source-build-options.ts. They change the binary, so a build with options has its own cache entry.
   */
  build?: UserCompileOptions;
  /** Global and per-caller limits on compiles, and their memory (source-build-limit.ts). */
  limiter?: CompileLimiter;
  /** Who asked (an API key), for the per-caller compile limit. */
  callerId?: string;
}

export interface EnsuredBinary {
  /** Absolute path of the shared library to load. */
  path: string;
  /** 'fmu': shipped in the FMU; 'cache': compiled earlier; 'compiled': compiled by this call. */
  origin: 'fmu' | 'cache' | 'compiled';
}

/** What to compile: absolute source paths, include dirs and -D definitions. */
export interface BuildPlan {
  sources: string[];
  includeDirs: string[];
  defines: string[];
}

const MAX_LOG_LINES = 20;
const inFlight = new Map<string, Promise<EnsuredBinary>>();
let detectedCompiler: Promise<string> | undefined;

interface RunResult {
  code: number | null;
  out: string;
  timedOut: boolean;
  missing: boolean;
}

const MAX_OUTPUT_CHARS = 256 * 1024;

/**
 * Run a tool in its own process group and kill the whole group on timeout: gcc is only a driver,
 * and killing it alone would leave cc1/as running (and holding our pipes open) past the limit.
 */
function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((done) => {
    let out = '';
    let timedOut = false;
    let settled = false;
    const finish = (r: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(r);
    };
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
    const collect = (chunk: Buffer): void => {
      if (out.length < MAX_OUTPUT_CHARS) out += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is already gone; make sure the leader is too
      }
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish({ code: null, out, timedOut, missing: err.code === 'ENOENT' || err.code === 'EACCES' }),
    );
    child.on('close', (code) => finish({ code, out, timedOut, missing: false }));
  });
}

/** The C compiler sources-only FMUs would be built with, or COMPILER_MISSING (doctor, health). */
export function detectCompiler(): Promise<string> {
  return findCompiler(process.cwd());
}

function findCompiler(cwd: string): Promise<string> {
  detectedCompiler ??= (async () => {
    for (const cc of ['cc', 'gcc', 'clang']) {
      const r = await run(cc, ['--version'], cwd, 10_000);
      if (!r.missing && r.code === 0) return cc;
    }
    detectedCompiler = undefined; // let a later call retry after the user installs one
    throw new GatewayError(
      'COMPILER_MISSING',
      'This FMU ships only C sources for this platform and no C compiler was found (tried cc, gcc, clang). Install one, e.g. on Debian/Ubuntu: apt-get install gcc (or build-essential).',
      {
        tried: ['cc', 'gcc', 'clang'],
        debian_package: 'gcc',
      },
    );
  })();
  return detectedCompiler;
}

function compileFailed(message: string, data: Record<string, unknown>): GatewayError {
  return new GatewayError('COMPILE_FAILED', message, data);
}

/** A source or include name from the FMU, resolved under sources/ (names were checked at parse time). */
export function insideDir(base: string, name: string, what: string): string {
  return resolveInside(base, name, {
    code: 'MODEL_DESCRIPTION_INVALID',
    what: `${what} "${escapeForText(name, 80)}"`,
    data: { file: name },
  });
}

/** The build plan of one interface, from the FMI 2 <SourceFiles> or the FMI 3 buildDescription.xml. */
export function planBuild(fmu: OpenedFmu, iface: InterfaceKind, user?: UserCompileOptions): BuildPlan {
  const sourcesDir = join(fmu.unpackedDir, 'sources');
  const id = modelIdentifierOf(fmu.modelDescription, iface);
  let plan: BuildPlan;
  if (fmu.modelDescription.fmi_version === '2.0') {
    const root = parseXmlTree(readFileSync(join(fmu.unpackedDir, 'modelDescription.xml'), 'utf8'));
    const files = fmi2SourceFiles(root, iface);
    if (files.length === 0) {
      throw compileFailed(`modelDescription.xml lists no <SourceFiles> for ${iface}; cannot tell which files in sources/ to compile`, {
        interface: iface,
      });
    }
    // FMI2_OVERRIDE_FUNCTION_PREFIX: the standard headers then export unprefixed fmi2XXX names.
    plan = {
      sources: files.map((f) => insideDir(sourcesDir, f, 'source file')),
      includeDirs: [],
      defines: ['FMI2_OVERRIDE_FUNCTION_PREFIX'],
    };
  } else {
    const bd = readBuildDescription(sourcesDir, id, currentPlatform().fmi3);
    plan = {
      sources: bd.sources.map((f) => insideDir(sourcesDir, f, 'source file')),
      includeDirs: bd.includeDirs.map((d) => insideDir(sourcesDir, d, 'include directory')),
      // FMI3_OVERRIDE_FUNCTION_PREFIX: fmi3Functions.h then ignores any FMI3_FUNCTION_PREFIX the sources
      // set, so the library exports fmi3XXX (what a loader looks up), not <id>_fmi3XXX.
      defines: [...bd.defines, 'FMI3_OVERRIDE_FUNCTION_PREFIX'],
    };
  }
  // The uploader's options come after the FMU's own, so a define of theirs wins over one from
  // buildDescription.xml (gcc keeps the last -D) and their include dirs are searched after the FMU's.
  for (const d of user?.include_dirs ?? []) plan.includeDirs.push(insideDir(sourcesDir, d, 'include directory'));
  for (const d of user?.defines ?? []) {
    // Validated at upload; checked again because it becomes a compiler argument.
    if (!PreprocessorDefineSchema.safeParse(d).success)
      throw compileFailed(`compile option define "${d.slice(0, 80)}" is not NAME or NAME=value`, { define: d });
    plan.defines.push(d);
  }
  for (const s of plan.sources) {
    if (!existsSync(s) || !statSync(s).isFile())
      throw compileFailed(`source file ${s.slice(sourcesDir.length + 1)} is listed but not present in sources/`, { file: s });
  }
  return plan;
}

/** The dynamic symbols a library defines, or undefined when nm (binutils) is not installed. */
async function exportedNames(lib: string, cwd: string): Promise<Set<string> | undefined> {
  const r = await run('nm', ['-D', '--defined-only', lib], cwd, 30_000);
  if (r.missing || r.code !== 0) return undefined; // the loader will report missing symbols itself
  return new Set(r.out.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? ''));
}

/** After a build: the loader looks up the plain names (fmi2GetVersion), so they must be exported. */
function checkExports(names: ReadonlySet<string> | undefined, fmiVersion: '2.0' | '3.0', id: string): void {
  const fn = fmiVersion === '2.0' ? 'fmi2GetVersion' : 'fmi3GetVersion';
  if (names === undefined || names.has(fn)) return;
  const prefixed = [...names].find((n) => n.endsWith(`_${fn}`));
  throw compileFailed(
    `the compiled library does not export ${fn}${prefixed !== undefined ? ` (it exports ${prefixed.slice(0, 80)}: a function prefix other than the modelIdentifier "${id}_")` : ''}`,
    { missing_symbol: fn, prefixed: prefixed !== undefined },
  );
}

async function compile(
  fmu: OpenedFmu,
  iface: InterfaceKind,
  opts: EnsureBinaryOptions,
  outFile: string,
  buildRoot: string,
  slot: CompileSlot | undefined,
): Promise<void> {
  const plan = planBuild(fmu, iface, opts.build);
  mkdirSync(buildRoot, { recursive: true });
  const tmp = mkdtempSync(join(buildRoot, '.tmp-'));
  try {
    const cc = opts.compiler ?? (await findCompiler(tmp));
    const lib = join(tmp, outFile.slice(outFile.lastIndexOf(sep) + 1));
    const cxx = plan.sources.some((s) => /\.(cc|cpp|cxx)$/i.test(s));
    const args = [
      '-shared',
      '-fPIC',
      '-O2',
      '-I',
      join(fmu.unpackedDir, 'sources'),
      ...plan.includeDirs.flatMap((d) => ['-I', d]),
      ...(opts.includeDirs ?? []).flatMap((d) => ['-I', resolve(d)]),
      // Last, so headers the FMU ships win: our own FMI 2.0 / 3.0 headers, which most exports rely on.
      '-I',
      FMI_HEADERS_DIR,
      ...plan.defines.map((d) => `-D${d}`),
      ...plan.sources,
      '-o',
      lib,
      '-lm',
      ...(cxx ? ['-lstdc++'] : []),
    ];
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const ccPath = resolveCommand(cc);
    const runCompiler = async (extra: readonly string[]): Promise<void> => {
      const argv = [...args, ...extra];
      const group = slot?.group;
      const sandboxed =
        ccPath === undefined
          ? undefined
          : compileCommand(
              ccPath,
              argv,
              {
                readOnly: [
                  join(fmu.unpackedDir, 'sources'),
                  ...(opts.includeDirs ?? []).map((d) => resolve(d)),
                  FMI_HEADERS_DIR,
                  ...(ccPath.startsWith('/usr/') ? [] : [ccPath]),
                ],
                writable: tmp,
              },
              // A memory cgroup bounds every kind of memory; without one, the rlimits do what they can.
              slot === undefined
                ? {}
                : group !== undefined
                  ? { dataMb: slot.memoryMb }
                  : { dataMb: slot.memoryMb, addressSpaceMb: slot.memoryMb + 256 },
            );
      // The launcher enters the compile's memory group before anything of the compiler runs.
      const launch =
        sandboxed === undefined || group === undefined
          ? sandboxed
          : {
              ...sandboxed,
              command: '/bin/sh',
              args: ['-c', 'echo $$ > "$0" && exec "$@"', group.procsFile, sandboxed.command, ...sandboxed.args],
            };
      const r =
        launch === undefined
          ? { code: null, out: '', timedOut: false, missing: true }
          : await run(launch.command, launch.args, tmp, timeoutMs, launch.env);
      if (group !== undefined && group.oomKills() > 0) {
        throw compileFailed(
          `compiling ${fmu.modelDescription.model_name} went past the compiler's memory limit of ${slot?.memoryMb} MiB and was stopped`,
          {
            memory_limit_mb: slot?.memoryMb,
          },
        );
      }
      if (r.missing) {
        throw new GatewayError(
          'COMPILER_MISSING',
          `The C compiler "${cc}" was not found. Install one, e.g. on Debian/Ubuntu: apt-get install gcc.`,
          { compiler: cc, debian_package: 'gcc' },
        );
      }
      if (r.timedOut)
        throw compileFailed(`compiling ${fmu.modelDescription.model_name} took longer than ${timeoutMs / 1000} s and was stopped`, {
          timeout_ms: timeoutMs,
        });
      if (r.code !== 0 || !existsSync(lib)) {
        const lines = r.out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(0, MAX_LOG_LINES);
        // The FMI headers are on the path; a header still missing usually lives in a subfolder of sources/.
        const hint = /No such file or directory/.test(r.out)
          ? '\nA header was not found: if the FMU keeps headers in a folder of sources/, pass it in compile_options.include_dirs when uploading.'
          : /out of memory|virtual memory exhausted|Killed signal/.test(r.out) && slot !== undefined
            ? `\nThe compiler's memory is limited to ${slot.memoryMb} MiB (COMPILE_MEMORY_MB).`
            : '';
        throw compileFailed(
          `compiling ${fmu.modelDescription.model_name} (${iface}) from sources failed (exit ${r.code ?? '?'}):\n${lines.join('\n')}${hint}`,
          {
            compiler: cc,
            exit_code: r.code,
            output: lines,
            ...(slot === undefined ? {} : { memory_limit_mb: slot.memoryMb }),
          },
        );
      }
    };
    await runCompiler([]);
    const id = modelIdentifierOf(fmu.modelDescription, iface);
    let names = await exportedNames(lib, tmp);
    // Functions compiled with the <modelIdentifier>_ prefix (sources that force FMI2_FUNCTION_PREFIX /
    // FMI3_FUNCTION_PREFIX past our override, e.g. with headers of their own): link again with the
    // plain names as aliases of the prefixed ones, which is what a loader looks up.
    const aliases = names === undefined ? [] : prefixAliases(names, id, fmu.modelDescription.fmi_version);
    if (aliases.length > 0) {
      rmSync(lib, { force: true });
      await runCompiler(aliases.map(([plain, prefixed]) => `-Wl,--defsym,${plain}=${prefixed}`));
      names = await exportedNames(lib, tmp);
    }
    checkExports(names, fmu.modelDescription.fmi_version, id);
    mkdirSync(resolve(outFile, '..'), { recursive: true });
    renameSync(lib, outFile); // atomic: a concurrent reader sees no file or the whole file
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** '' for the FMU's own build; '-<hash>' when compile options change the binary. */
function buildVariant(build: UserCompileOptions | undefined): string {
  if (build === undefined || (build.include_dirs.length === 0 && build.defines.length === 0)) return '';
  return `-${createHash('sha256')
    .update(JSON.stringify([build.include_dirs, build.defines]))
    .digest('hex')
    .slice(0, 16)}`;
}

/**
 * The shared library to load for `iface`: the FMU's own binary for this platform, else one
 * compiled from sources/ (once per FMU sha256; concurrent calls share one compilation).
 */
export async function ensureBinary(fmu: OpenedFmu, iface: InterfaceKind, opts: EnsureBinaryOptions): Promise<EnsuredBinary> {
  try {
    return { path: findBinary(fmu.unpackedDir, fmu.modelDescription, iface), origin: 'fmu' };
  } catch (e) {
    if (!isGatewayError(e) || e.code !== 'PLATFORM_UNSUPPORTED' || !fmu.hasSources) throw e;
  }
  const md = fmu.modelDescription;
  const p = currentPlatform();
  const buildRoot = join(resolve(opts.cacheDir), `${fmu.sha256}-build${buildVariant(opts.build)}`);
  // modelIdentifier comes from the FMU: checked to be a C identifier at parse time, re-checked here.
  const outFile = resolveInside(buildRoot, [platformFolder(md.fmi_version, p), modelIdentifierOf(md, iface) + p.ext], {
    code: 'MODEL_DESCRIPTION_INVALID',
    what: `the library name for modelIdentifier "${escapeForText(modelIdentifierOf(md, iface), 80)}"`,
    data: { attribute: 'modelIdentifier' },
  });
  if (existsSync(outFile)) return { path: outFile, origin: 'cache' };
  const pending = inFlight.get(outFile);
  if (pending) return pending;
  const job = (async (): Promise<EnsuredBinary> => {
    // Our turn at the compiler (global and per-caller limits); the bytes may be there by then.
    const slot = await opts.limiter?.acquire(opts.callerId);
    try {
      if (existsSync(outFile)) return { path: outFile, origin: 'cache' };
      await compile(fmu, iface, opts, outFile, buildRoot, slot);
      return { path: outFile, origin: 'compiled' };
    } finally {
      slot?.release();
    }
  })();
  inFlight.set(outFile, job);
  try {
    return await job;
  } finally {
    inFlight.delete(outFile);
  }
}
