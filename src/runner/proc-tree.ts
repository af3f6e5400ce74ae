/**
 * /proc helpers for the parent: the processes under a worker (the sandboxed node and anything
 * the FMU forked) and their memory, sampled while a job runs to explain a crash afterwards.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function childrenOf(pid: number): number[] {
  // Every thread's list: an orphan re-parented to this process (child subreaper) may hang under
  // any of its threads, not only the main one.
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list !== '') for (const c of list.split(/\s+/)) out.push(Number(c));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** pid and every descendant (depth-first), as far as /proc shows them now. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && out.length < 10_000) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...childrenOf(p));
  }
  return out;
}

/** VmData in bytes (what RLIMIT_DATA limits), 0 when the process is gone. */
export function dataBytes(pid: number): number {
  try {
    const m = /VmData:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Threads of one process (the FMU's own threads count here), 0 when it is gone. */
export function threadCount(pid: number): number {
  try {
    const m = /Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Processes and threads of a worker's tree, to compare a worker after a job with itself when idle. */
export function treeFootprint(pid: number): { processes: number; threads: number } {
  const tree = processTree(pid);
  let threads = 0;
  for (const p of tree) threads += threadCount(p);
  return { processes: tree.length, threads };
}
