/**
 * /proc helpers for the parent: the processes under a worker (the sandboxed node and anything
 * the FMU forked) and their memory, sampled while a job runs to explain a crash afterwards.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

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

/**
 * One small /proc or cgroup file read again and again through the same descriptor (pread at 0)
 * into a reused buffer: the memory sampler reads a few of these every 10 ms per running job on the
 * gateway's event loop, where an open + read + close and a fresh string each time added up.
 * Both /proc/<pid>/* and cgroup files regenerate their text on a read at offset 0.
 */
export class ProcFile {
  private fd: number | undefined;
  private buf: Buffer;

  private closed = false;

  constructor(
    readonly path: string,
    initialBytes = 256,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The file's bytes now (a view into the reused buffer, valid until the next read), or undefined when it is gone. */
  read(): Buffer | undefined {
    if (this.closed) return undefined;
    try {
      // Opened on first use (and again after a failed open): a group's files exist once it does.
      this.fd ??= openSync(this.path, 'r');
      for (;;) {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
        if (n < this.buf.length) return this.buf.subarray(0, n);
        this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
    } catch {
      // the process ended (ESRCH) or the group was removed
      return undefined;
    }
  }

  /** The number after `key` (e.g. "oom_kill "), or 0. */
  numberAfter(key: string): number {
    const b = this.read();
    if (b === undefined) return 0;
    const at = b.indexOf(key);
    return at < 0 ? 0 : parseDigits(b, at + key.length);
  }

  close(): void {
    this.closed = true;
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = undefined;
  }
}

/** The decimal number at `at` in `b` (leading spaces and tabs skipped), 0 when there is none. */
export function parseDigits(b: Buffer, at: number): number {
  let i = at;
  while (i < b.length && (b[i] === 32 || b[i] === 9)) i++;
  let n = 0;
  for (; i < b.length; i++) {
    const c = b[i] as number;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Memory of one process from /proc/<pid>/status: what RLIMIT_DATA counts, and resident anonymous + shared. */
export interface ProcessMemory {
  dataBytes: number;
  residentBytes: number;
}

/** /proc/<pid>/status read through a kept descriptor: VmData and RssAnon + RssShmem, zeros once gone. */
export class ProcessMemoryReader {
  private readonly status: ProcFile;
  constructor(readonly pid: number) {
    this.status = new ProcFile(`/proc/${pid}/status`, 2048);
  }
  read(): ProcessMemory {
    const b = this.status.read();
    if (b === undefined) return { dataBytes: 0, residentBytes: 0 };
    const kb = (key: string): number => {
      const at = b.indexOf(key);
      return at < 0 ? 0 : parseDigits(b, at + key.length);
    };
    return { dataBytes: kb('VmData:') * 1024, residentBytes: (kb('RssAnon:') + kb('RssShmem:')) * 1024 };
  }
  close(): void {
    this.status.close();
  }
}

/** Threads of one process from /proc/<pid>/stat (field 20) through a kept descriptor, 0 once gone. */
export class ThreadCountReader {
  private readonly stat: ProcFile;
  constructor(readonly pid: number) {
    this.stat = new ProcFile(`/proc/${pid}/stat`, 512);
  }
  read(): number {
    const b = this.stat.read();
    if (b === undefined) return 0;
    // After the command name "(…)", which may itself hold spaces and parentheses: fields 3… follow.
    let i = b.lastIndexOf(41) + 2; // ')' then a space: field 3 (state) starts here
    for (let field = 3; field < 20 && i > 1; field++) i = b.indexOf(32, i) + 1;
    return i > 1 ? parseDigits(b, i) : 0;
  }
  close(): void {
    this.stat.close();
  }
}
