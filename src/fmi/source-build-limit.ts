/**
 * Limits on compiling sources-only FMUs, which run outside the worker pool: a compiler may take
 * GiBs and minutes, so without a bound a few uploads start as many cc1 as there are requests.
 *  - one global limit on compilers running at once (default 1); the others wait in turn, at most
 *    queueTimeoutMs, then SERVER_BUSY (503 + Retry-After);
 *  - a per-caller limit on compiles running or waiting (default 1): past it SERVER_BUSY at once;
 *  - each compile's memory bounded the way a worker's is: a memory cgroup when the gateway may
 *    create one (handed in as `memory`, src/runner/memory-limit.ts), else the address-space and
 *    data rlimits of the compile sandbox (source-build-sandbox.ts).
 */
import { GatewayError } from '../errors.ts';

/** The part of a memory cgroup a compile needs (structurally src/runner/memory-limit.ts's group). */
export interface CompileMemoryGroup {
  /** cgroup.procs: the launcher writes its pid there before anything else runs. */
  procsFile: string;
  /** OOM kills in the group so far. */
  oomKills(): number;
  remove(): void;
}

export interface CompileMemory {
  createGroup(name: string, limitBytes: number): CompileMemoryGroup | undefined;
}

export interface CompileLimitOptions {
  /** Compilers running at once, all callers together (default 1). */
  maxConcurrent?: number;
  /** Compiles one caller may have running or waiting (default 1). */
  maxPerCaller?: number;
  /** How long a compile waits for its turn (default 120 000 ms). */
  queueTimeoutMs?: number;
  /** Memory of one compile, all its processes, in MiB (default 2048). */
  memoryMb?: number;
  /** Memory cgroups, where the gateway may create them; without, rlimits only. */
  memory?: CompileMemory;
}

export interface CompileSlot {
  /** The compile's memory group (cgroup mechanisms), entered by the compiler's launcher. */
  readonly group: CompileMemoryGroup | undefined;
  readonly memoryMb: number;
  /** The compile ended: the next waiting one may start (idempotent). */
  release(): void;
}

export interface CompileLimiter {
  /** A turn to compile for `caller`; waits while others compile (SERVER_BUSY past the bounds). */
  acquire(caller: string | undefined): Promise<CompileSlot>;
  stats(): { running: number; waiting: number };
}

const NO_CALLER = '#none';
let groupIds = 0;

export function createCompileLimiter(opts: CompileLimitOptions = {}): CompileLimiter {
  const maxConcurrent = Math.max(1, opts.maxConcurrent ?? 1);
  const maxPerCaller = Math.max(1, opts.maxPerCaller ?? 1);
  const queueTimeoutMs = opts.queueTimeoutMs ?? 120_000;
  const memoryMb = opts.memoryMb ?? 2048;
  const perCaller = new Map<string, number>();
  const waiting: { grant: () => void }[] = [];
  let running = 0;

  function busy(message: string, retryAfterSeconds: number, data: Record<string, unknown>): GatewayError {
    return new GatewayError('SERVER_BUSY', message, {
      scope: 'compile',
      ...data,
      retry_after_seconds: retryAfterSeconds,
      hint: `Sources-only FMUs are compiled one at a time: retry after ${retryAfterSeconds} s, or upload an FMU with a binary for this platform.`,
    });
  }

  function slot(key: string): CompileSlot {
    running++;
    const group = opts.memory?.createGroup(`compile-${process.pid}-${++groupIds}`, memoryMb * 1024 * 1024);
    let released = false;
    return {
      group,
      memoryMb,
      release(): void {
        if (released) return;
        released = true;
        group?.remove();
        running--;
        const n = (perCaller.get(key) ?? 1) - 1;
        if (n > 0) perCaller.set(key, n);
        else perCaller.delete(key);
        waiting.shift()?.grant();
      },
    };
  }

  return {
    acquire(caller: string | undefined): Promise<CompileSlot> {
      const key = caller ?? NO_CALLER;
      const mine = perCaller.get(key) ?? 0;
      if (mine >= maxPerCaller) {
        return Promise.reject(
          busy(`This caller already has ${mine} FMU compile(s) running or waiting (limit ${maxPerCaller}).`, 5, { limit: maxPerCaller }),
        );
      }
      perCaller.set(key, mine + 1);
      if (running < maxConcurrent) return Promise.resolve(slot(key));
      return new Promise<CompileSlot>((resolve, reject) => {
        const entry = {
          grant: () => {
            clearTimeout(timer);
            resolve(slot(key));
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          const n = (perCaller.get(key) ?? 1) - 1;
          if (n > 0) perCaller.set(key, n);
          else perCaller.delete(key);
          reject(
            busy(
              `Waited ${queueTimeoutMs / 1000} s for the compiler (${running} running, ${waiting.length} waiting); retry later.`,
              Math.max(1, Math.ceil(queueTimeoutMs / 1000)),
              { waited_ms: queueTimeoutMs },
            ),
          );
        }, queueTimeoutMs);
        waiting.push(entry);
      });
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}
