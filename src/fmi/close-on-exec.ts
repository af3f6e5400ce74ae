/**
 * In the gateway, before it spawns a worker: every descriptor above stderr gets FD_CLOEXEC, so
 * nothing the gateway inherited from its own parent (a shell redirection such as `exec 100>log`,
 * a supervisor's socket) passes through prlimit, setpriv and bwrap into the worker, where the FMU
 * could write into it. (Node opens its own descriptors close-on-exec; it marks only a few low
 * inherited ones.) The worker's own second line is closeStrayDescriptors (src/fmi/process-hardening.ts).
 *
 * Which descriptors lack the flag is read from /proc/self/fdinfo (its `flags` carry O_CLOEXEC for
 * a close-on-exec descriptor), so the usual case, nothing to mark, does not load koffi, a native
 * addon, on the way to the first worker (start-up, docs/architecture.md). Only a descriptor
 * without the flag, or an fdinfo we cannot read, loads it for fcntl.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
/** O_CLOEXEC in fdinfo's octal `flags` (Linux, every architecture we run on). */
const O_CLOEXEC = 0o2000000;

type Fcntl = (fd: number, cmd: number, arg: number) => number;
let fcntl: Fcntl | undefined;
function getFcntl(): Fcntl {
  // koffi is external to the CLI bundle and resolves from the package, as a static import would.
  fcntl ??= (createRequire(import.meta.url)('koffi') as typeof Koffi).load('libc.so.6').func('int fcntl(int, int, int)') as Fcntl;
  return fcntl;
}

/** True when fdinfo says the descriptor is close-on-exec; undefined when it cannot tell (gone, unreadable). */
function closeOnExecPerFdinfo(fd: number): boolean | undefined {
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m === null ? undefined : (parseInt(m[1] as string, 8) & O_CLOEXEC) !== 0;
  } catch {
    return undefined;
  }
}

/** Returns the descriptors that had to be marked; never throws (a failure is the reason string). */
export function markDescriptorsCloseOnExec(): number[] | string {
  if (process.platform !== 'linux') return `not available on ${process.platform}`;
  try {
    // The directory's own descriptor is gone by the time we use the list.
    const open = readdirSync('/proc/self/fd')
      .map(Number)
      .filter((fd) => Number.isInteger(fd) && fd > 2);
    const marked: number[] = [];
    for (const fd of open) {
      if (closeOnExecPerFdinfo(fd) === true) continue;
      const set = getFcntl();
      const flags = set(fd, F_GETFD, 0);
      if (flags < 0 || (flags & FD_CLOEXEC) !== 0) continue;
      if (set(fd, F_SETFD, flags | FD_CLOEXEC) === 0) marked.push(fd);
    }
    return marked;
  } catch (e) {
    return `close-on-exec marking failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
