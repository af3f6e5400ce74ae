/**
 * Ties a worker's life to its parent's: PR_SET_PDEATHSIG makes the kernel SIGKILL this process
 * when the gateway dies, even while the FMU spins in native code and the channel's `close`
 * handler can never run; and keeps the FMU's orphans in the worker's tree (child subreaper). (Inside bubblewrap, --die-with-parent does the same; without it this
 * is the only guard.) In src/fmi/ because this folder is the single native (koffi) boundary.
 */
import koffi from 'koffi';

const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGKILL = 9;

/** Returns a reason when the guard could not be set (not Linux, no libc); never throws. */
export function killWhenParentDies(): string | undefined {
  if (process.platform !== 'linux') return `parent-death signal not available on ${process.platform}`;
  const parentAtStart = process.ppid;
  try {
    const prctl = koffi.load('libc.so.6').func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) !== 0) return 'prctl(PR_SET_PDEATHSIG) failed';
    // Orphans the FMU creates (double fork + setsid) are re-parented to this worker instead of
    // init, so they stay in its process tree, where the pool finds and kills them after the job.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) return 'prctl(PR_SET_CHILD_SUBREAPER) failed';
  } catch (e) {
    return `parent-death signal: ${e instanceof Error ? e.message : String(e)}`;
  }
  // The parent may have died before the signal was armed: then we have been re-parented already.
  if (process.ppid !== parentAtStart) process.kill(process.pid, 'SIGKILL');
  return undefined;
}
