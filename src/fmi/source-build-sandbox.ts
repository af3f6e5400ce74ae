/**
 * The compiler of a sources-only FMU reads whatever the sources point it at: `#include
 * "/home/me/.ssh/id_rsa"` quotes a host file in its error messages (which go back to the
 * uploader), `.incbin "/etc/shadow"` embeds one in the library, `#include "/dev/zero"` eats
 * memory. So, where bubblewrap works, the compiler runs in a sandbox that sees the system
 * toolchain read-only, the FMU's sources and the given include dirs read-only, and one writable
 * output directory; no network, no other host file, a memory limit. Without bubblewrap the
 * workers are not sandboxed either, so the compiler reads nothing an FMU could not read itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

const SEARCH_PATH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];
/** Large generated models need GiBs in cc1 at -O2; an endless include must still stop. */
const COMPILER_DATA_MB = 4096;
const COMPILER_TMP_MB = 512;

/** Read-only binds of the system: /usr and the top-level links or dirs that point into it. */
export function systemBinds(): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let st;
    try {
      st = lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  // The dynamic linker's cache and config, time zone, alternatives (cc → gcc): nothing else of /etc.
  for (const f of ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime', '/etc/alternatives']) {
    args.push('--ro-bind-try', f, f);
  }
  return args;
}

function findTool(name: string): string | undefined {
  return SEARCH_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** A command name as the host resolves it (absolute path), or undefined when it does not exist. */
export function resolveCommand(cmd: string): string | undefined {
  if (isAbsolute(cmd)) return existsSync(cmd) ? cmd : undefined;
  // eslint-disable-next-line no-restricted-properties -- the host's PATH, as a shell would use it; not gateway configuration
  const dirs = (process.env.PATH ?? SEARCH_PATH.join(delimiter)).split(delimiter).filter((d) => d !== '');
  return dirs.map((d) => join(d, cmd)).find((p) => existsSync(p));
}

export interface CompileSandboxSpec {
  /** Host paths the compiler may read (sources, include dirs, the compiler itself if outside /usr). */
  readOnly: readonly string[];
  /** The one host directory it may write (the build's temporary directory; also its cwd). */
  writable: string;
}

function bwrapArgs(spec: CompileSandboxSpec): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // The private /tmp first, so binds of host paths under /tmp stay visible on top of it.
    '--size',
    String(COMPILER_TMP_MB * 1024 * 1024),
    '--tmpfs',
    '/tmp',
    ...systemBinds(),
    ...spec.readOnly.flatMap((p) => ['--ro-bind-try', p, p]),
    '--bind',
    spec.writable,
    spec.writable,
    '--remount-ro',
    '/',
    '--chdir',
    spec.writable,
  ];
}

let usable: boolean | undefined;

/** bwrap is installed and can start a sandbox here (checked once; containers may forbid it). */
function bwrapWorks(bwrap: string): boolean {
  usable ??= spawnSync(bwrap, [...bwrapArgs({ readOnly: [], writable: '/tmp' }), '--', '/bin/true'], { timeout: 10_000 }).status === 0;
  return usable;
}

/** The argv that runs `cmd args` inside the compile sandbox (or as is, without bubblewrap). */
export function compileCommand(
  cmd: string,
  args: readonly string[],
  spec: CompileSandboxSpec,
  /** Memory rlimits of the compile (default: data 4 GiB, no address-space limit). */
  limits: { dataMb?: number; addressSpaceMb?: number } = {},
): { command: string; args: string[]; env?: Record<string, string> } {
  const bwrap = findTool('bwrap');
  if (process.platform !== 'linux' || bwrap === undefined || !bwrapWorks(bwrap)) return { command: cmd, args: [...args] };
  // Nothing of ours (API keys, tokens) needs to reach a compiler working on uploaded code.
  const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', TMPDIR: '/tmp', HOME: '/tmp' };
  let argv = [bwrap, ...bwrapArgs(spec), '--', cmd, ...args];
  const prlimit = findTool('prlimit');
  if (prlimit !== undefined) {
    const as = limits.addressSpaceMb === undefined ? [] : [`--as=${limits.addressSpaceMb * 1024 * 1024}`];
    argv = [prlimit, `--data=${(limits.dataMb ?? COMPILER_DATA_MB) * 1024 * 1024}`, ...as, '--core=0', '--', ...argv];
  }
  const [command, ...rest] = argv as [string, ...string[]];
  return { command, args: rest, env };
}
