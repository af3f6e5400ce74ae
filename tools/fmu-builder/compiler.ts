/**
 * Finding and running the system C compiler for FMU binaries.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { GatewayError } from '../../src/errors.ts';

export const COMPILER_HINT =
  'No C compiler found (looked for $CC, cc, gcc, clang on PATH). Install one to build FMUs from C: ' +
  'on Debian/Ubuntu `sudo apt-get install gcc` (or `build-essential`), on Alpine `apk add gcc musl-dev`, ' +
  'on macOS `xcode-select --install`.';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const full = join(dir, name);
    if (executable(full)) return full;
  }
  return undefined;
}

/** Absolute path of a usable C compiler ($CC first, then cc, gcc, clang), or undefined. */
export function findCCompiler(): string | undefined {
  const fromEnv = process.env.CC?.trim();
  if (fromEnv) {
    const found = onPath(fromEnv);
    if (found) return found;
  }
  for (const name of ['cc', 'gcc', 'clang']) {
    const found = onPath(name);
    if (found) return found;
  }
  return undefined;
}

export function requireCCompiler(): string {
  const cc = findCCompiler();
  if (cc === undefined) throw new GatewayError('COMPILER_MISSING', COMPILER_HINT);
  return cc;
}

export interface CompileOptions {
  sources: string[];
  includeDirs: string[];
  outFile: string;
  cflags?: string[];
  /** Label for error messages (e.g. "Dahlquist FMI 2.0"). */
  label: string;
}

/**
 * cc -shared -fPIC -O2 ... -lm; only the FMI functions are exported (-fvisibility=hidden).
 * Resolves with the compiler's warnings ('' when clean).
 */
export async function compileSharedLibrary(opts: CompileOptions): Promise<string> {
  const cc = requireCCompiler();
  const args = [
    '-shared',
    '-fPIC',
    '-O2',
    '-std=c99',
    '-fvisibility=hidden',
    '-Wall',
    '-Wextra',
    '-Wno-type-limits',
    ...opts.includeDirs.map((d) => `-I${d}`),
    ...(opts.cflags ?? []),
    ...opts.sources,
    '-o',
    opts.outFile,
    '-lm',
  ];
  return await new Promise<string>((resolve, reject) => {
    execFile(cc, args, { maxBuffer: 8 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) {
        reject(
          new GatewayError('COMPILE_FAILED', `Compiling ${opts.label} failed (${cc}):\n${stderr.slice(0, 8000) || err.message}`, {
            compiler: cc,
            args,
          }),
        );
      } else {
        resolve(stderr.trim());
      }
    });
  });
}
