/**
 * Which of the gateway's descriptors above stderr are not close-on-exec (inherited from its own
 * parent: a shell redirection, a supervisor's socket), for the worker's stdio (worker-process.ts
 * replaces each with /dev/null). Read from /proc/self/fdinfo, whose octal `flags` carry O_CLOEXEC.
 *
 * Asked at every worker spawn. Reading every descriptor's fdinfo costs ~10–15 ms with ~280 open
 * descriptors (a serve at concurrency 128 holds one socket per client), on the main thread, at
 * every spawn. So the answer per descriptor number is remembered: a spawn lists /proc/self/fd (one
 * readdir) and reads fdinfo only for numbers it has not seen, and everything is read again once
 * the last full reading is older than `rescanMs`. Node and libuv open everything close-on-exec;
 * a descriptor without it is one that was inherited (there from the start, seen by the first full
 * reading) or one native code opened without the flag: under a new number it is read at the next
 * spawn; under a number that was just freed it is caught by the next full reading. The worker
 * closes every stray descriptor itself at start-up (closeStrayDescriptors,
 * src/fmi/process-hardening.ts), the second line behind this one.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC in fdinfo's octal `flags` (Linux, every architecture we run on). */
const O_CLOEXEC = 0o2000000;
const FLAGS = /^flags:\s*([0-7]+)$/m;

/** How old the last full reading may be before every descriptor is read again. */
export const RESCAN_MS = 2000;

export interface InheritableDescriptors {
  /** The descriptors above stderr without close-on-exec; undefined when fdinfo cannot be read. */
  list(): number[] | undefined;
}

export function createInheritableDescriptors(rescanMs = RESCAN_MS, now: () => number = () => performance.now()): InheritableDescriptors {
  /** Descriptor number → inheritable (not close-on-exec), as last read. */
  let known = new Map<number, boolean>();
  let fullAt = Number.NEGATIVE_INFINITY;
  return {
    list(): number[] | undefined {
      if (process.platform !== 'linux') return undefined;
      const full = now() - fullAt >= rescanMs;
      const next = new Map<number, boolean>();
      const out: number[] = [];
      try {
        for (const name of readdirSync('/proc/self/fd')) {
          const fd = Number(name);
          if (!Number.isInteger(fd) || fd <= 2) continue;
          let inheritable = full ? undefined : known.get(fd);
          if (inheritable === undefined) {
            let info: string;
            try {
              info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
            } catch {
              continue; // gone meanwhile (the listing's own descriptor)
            }
            const m = FLAGS.exec(info);
            if (m === null) return undefined;
            inheritable = (parseInt(m[1] as string, 8) & O_CLOEXEC) === 0;
          }
          next.set(fd, inheritable);
          if (inheritable) out.push(fd);
        }
      } catch {
        return undefined;
      }
      known = next;
      if (full) fullAt = now();
      return out;
    },
  };
}
