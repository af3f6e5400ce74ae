/**
 * Native process hardening for the pool and its workers (in src/fmi: the single koffi boundary).
 *
 *  - markDescriptorsCloseOnExec(), in the gateway before it spawns a worker, is in
 *    src/fmi/close-on-exec.ts: it loads koffi only when a descriptor needs marking.
 *  - closeStrayDescriptors(keep), in the worker before any FMU is loaded: closes every descriptor
 *    above stderr that is not close-on-exec and not kept (the channel). Node's own descriptors are
 *    all close-on-exec, so what is left without the flag came from outside: a second line behind
 *    the first, for launchers that do not go through the pool.
 *  - makeNonDumpable(), in the worker: PR_SET_DUMPABLE 0. A non-dumpable process's
 *    /proc/<pid>/mem (and ptrace) is open only to holders of CAP_SYS_PTRACE, which nothing in the
 *    sandbox has: the FMU's forked children cannot write into the worker and, since they inherit
 *    the flag, not into each other either.
 */
import koffi from 'koffi';
import { readdirSync } from 'node:fs';

const F_GETFD = 1;
const FD_CLOEXEC = 1;
const PR_SET_DUMPABLE = 4;

interface Libc {
  fcntl: (fd: number, cmd: number, arg: number) => number;
  close: (fd: number) => number;
  prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
}

let libc: Libc | undefined;
function getLibc(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    fcntl: lib.func('int fcntl(int, int, int)') as Libc['fcntl'],
    close: lib.func('int close(int)') as Libc['close'],
    prctl: lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)') as Libc['prctl'],
  };
  return libc;
}

/** Descriptors above stderr open now (the directory's own descriptor is gone by the time we use the list). */
function openDescriptors(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => Number.isInteger(fd) && fd > 2);
}

/** Closes inherited descriptors above stderr except `keep`; returns those closed, or why it could not. */
export function closeStrayDescriptors(keep: readonly number[]): number[] | string {
  if (process.platform !== 'linux') return `not available on ${process.platform}`;
  try {
    const { fcntl, close } = getLibc();
    const closed: number[] = [];
    for (const fd of openDescriptors()) {
      if (keep.includes(fd)) continue;
      const flags = fcntl(fd, F_GETFD, 0);
      if (flags < 0 || (flags & FD_CLOEXEC) !== 0) continue;
      if (close(fd) === 0) closed.push(fd);
    }
    return closed;
  } catch (e) {
    return `closing inherited descriptors failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Returns a reason when it could not be set; never throws. */
export function makeNonDumpable(): string | undefined {
  if (process.platform !== 'linux') return `PR_SET_DUMPABLE not available on ${process.platform}`;
  try {
    return getLibc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0 ? undefined : 'prctl(PR_SET_DUMPABLE, 0) failed';
  } catch (e) {
    return `PR_SET_DUMPABLE: ${e instanceof Error ? e.message : String(e)}`;
  }
}
