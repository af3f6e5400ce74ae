/**
 * How a worker's memory is limited, for every kind of memory (heap, MAP_SHARED|MAP_ANONYMOUS,
 * MAP_GROWSDOWN and other stacks, files in its private tmpfs), not only what RLIMIT_DATA sees:
 *
 *  - cgroup-v2: a child group with memory.max under this process's own cgroup, when its
 *    memory controller is delegated to us (memory in our cgroup.subtree_control, or we are at
 *    the root and may enable it);
 *  - cgroup-v1: a child group with memory.limit_in_bytes (and memsw, when swap is accounted)
 *    under this process's own memory cgroup, when we may create one (root, or a delegated tree);
 *  - rlimit-as: otherwise RLIMIT_AS at the limit plus AS_HEADROOM_MB for node's own address
 *    space (per process), and the pool samples the resident anonymous + shared memory of the
 *    worker's whole process tree every 10 ms and kills it past the limit.
 *
 * A worker enters its group before anything of it runs: the launcher is `/bin/sh -c 'echo $$ >
 * cgroup.procs && exec …'`, so prlimit, setpriv, bwrap, node and whatever the FMU forks are all in
 * it. Groups are only ever created below the cgroup this process was started in, so the host's
 * (or a supervisor's) own limits keep applying above them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, ProcFile } from './proc-tree.ts';

export type MemoryMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit-as';

/** node itself reserves 0.7–1 GiB of address space (code, V8 heap reservations, thread stacks). */
export const AS_HEADROOM_MB = 1024;

export interface MemoryLimitReport {
  mechanism: MemoryMechanism;
  /** Where the groups live, or why no cgroup could be used. */
  detail: string;
}

/** One worker's memory group. */
export interface WorkerMemoryGroup {
  /** The file the launcher writes its pid into. */
  procsFile: string;
  /** Highest usage seen by the kernel, in bytes. */
  peakBytes(): number;
  /** OOM kills in the group so far (any process of the worker): one kept descriptor, read every 10 ms while a job runs. */
  oomKills(): number;
  /**
   * Processes in the group now (every process of the worker is in it from its first instruction);
   * undefined once the group is gone.
   */
  processes(): number | undefined;
  /** Removes the group once its processes are gone (retries briefly while they are reaped). */
  remove(): void;
}

export interface MemoryLimiter {
  readonly report: MemoryLimitReport;
  /** A group for one worker with the given limit; undefined under rlimit-as. */
  createGroup(name: string, limitBytes: number): WorkerMemoryGroup | undefined;
  /** Removes the pool's own group (after every worker has exited). */
  close(): void;
}

const CGROUP_ROOT_HINT = 'run as root or in a cgroup with the memory controller delegated';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface Mount {
  root: string;
  point: string;
  fstype: string;
  superOptions: string[];
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of (readText('/proc/self/mountinfo') ?? '').split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    if (f[3] === undefined || f[4] === undefined || r[0] === undefined) continue;
    out.push({ root: f[3], point: f[4], fstype: r[0], superOptions: (r[2] ?? '').split(',') });
  }
  return out;
}

/** Our cgroup path in a hierarchy, turned into a directory under that hierarchy's mount. */
function cgroupDir(mount: Mount, path: string): string {
  const rel = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.point, rel);
}

/** Groups a crashed gateway left behind (named after its pid): empty, but clutter. */
function removeStale(parent: string, prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = new RegExp(`^${prefix}-(\\d+)-\\d+$`).exec(e);
    if (m === null || isAlive(Number(m[1]))) continue;
    const dir = join(parent, e);
    try {
      for (const w of readdirSync(dir, { withFileTypes: true })) if (w.isDirectory()) rmdirSync(join(dir, w.name));
      rmdirSync(dir);
    } catch {
      // still in use or not ours to remove
    }
  }
}

interface Flavour {
  mechanism: 'cgroup-v1' | 'cgroup-v2';
  setLimit(dir: string, bytes: number): void;
  peakBytes(dir: string): number;
  /** The file counting OOM kills, and the key its number follows. */
  oomFile: string;
  oomKey: string;
}

const V1: Flavour = {
  mechanism: 'cgroup-v1',
  setLimit(dir, bytes) {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(bytes));
    // With swap accounting, memory+swap too (memsw must stay ≥ the memory limit: set after it).
    const memsw = join(dir, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(bytes));
    if (Number((readText(join(dir, 'memory.limit_in_bytes')) ?? '').trim()) > bytes) throw new Error('limit not applied');
  },
  peakBytes: (dir) => Number((readText(join(dir, 'memory.max_usage_in_bytes')) ?? '0').trim()) || 0,
  oomFile: 'memory.oom_control',
  oomKey: '\noom_kill ',
};

const V2: Flavour = {
  mechanism: 'cgroup-v2',
  setLimit(dir, bytes) {
    writeFileSync(join(dir, 'memory.max'), String(bytes));
    const swap = join(dir, 'memory.swap.max');
    if (existsSync(swap)) writeFileSync(swap, '0');
    if ((readText(join(dir, 'memory.max')) ?? '').trim() !== String(bytes)) throw new Error('limit not applied');
  },
  peakBytes: (dir) => Number((readText(join(dir, 'memory.peak')) ?? readText(join(dir, 'memory.current')) ?? '0').trim()) || 0,
  oomFile: 'memory.events',
  oomKey: '\noom_kill ',
};

/** The directory under which we may create memory-limited groups, for each cgroup version. */
function candidates(): { flavour: Flavour; parent: string }[] | string {
  if (process.platform !== 'linux') return `cgroups are Linux-only (platform ${process.platform})`;
  const lines = (readText('/proc/self/cgroup') ?? '').split('\n').filter((l) => l !== '');
  const all = mounts();
  const found: { flavour: Flavour; parent: string }[] = [];
  const reasons: string[] = [];
  const v2Path = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const v2Mount = all.find((m) => m.fstype === 'cgroup2');
  if (v2Path !== undefined && v2Mount !== undefined) {
    const dir = cgroupDir(v2Mount, v2Path);
    const controllers = (readText(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
    const subtree = (readText(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
    if (subtree.includes('memory')) found.push({ flavour: V2, parent: dir });
    else if (controllers.includes('memory') && v2Path === '/') {
      try {
        writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory');
        found.push({ flavour: V2, parent: dir });
      } catch (e) {
        reasons.push(`cgroup v2: cannot enable the memory controller at ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    } else reasons.push(`cgroup v2: memory controller not delegated to ${dir}`);
  }
  const v1Line = lines.map((l) => l.split(':')).find((p) => (p[1] ?? '').split(',').includes('memory'));
  const v1Mount = all.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('memory'));
  if (v1Line?.[2] !== undefined && v1Mount !== undefined)
    found.push({ flavour: V1, parent: cgroupDir(v1Mount, v1Line.slice(2).join(':')) });
  else if (v1Mount === undefined) reasons.push('cgroup v1: no memory hierarchy mounted');
  return found.length > 0 ? found : reasons.join('; ') || 'no cgroup hierarchy found';
}

let poolCounter = 0;

/**
 * Picks the best mechanism this process may use, creating the pool's own group to prove it.
 * `prefer: 'rlimit-as'` skips cgroups (tests: a host that allows none).
 */
export function createMemoryLimiter(prefer?: 'rlimit-as'): MemoryLimiter {
  const fallback = (detail: string): MemoryLimiter => ({
    report: {
      mechanism: 'rlimit-as',
      detail: `RLIMIT_AS = limit + ${AS_HEADROOM_MB} MiB per process, resident anonymous+shared memory of the worker's processes sampled every 10 ms (${detail})`,
    },
    createGroup: () => undefined,
    close: () => undefined,
  });
  if (prefer === 'rlimit-as') return fallback('cgroups not used by configuration');
  const found = candidates();
  if (typeof found === 'string') return fallback(`${found}; ${CGROUP_ROOT_HINT}`);
  const failures: string[] = [];
  for (const { flavour, parent } of found) {
    const poolDir = join(parent, `fmu-gateway-${process.pid}-${++poolCounter}`);
    try {
      removeStale(parent, 'fmu-gateway');
      mkdirSync(poolDir);
      // Prove a worker group with a limit can be made here before relying on it.
      const probe = join(poolDir, 'probe');
      mkdirSync(probe);
      try {
        flavour.setLimit(probe, 64 * 1024 * 1024);
      } finally {
        rmdirSync(probe);
      }
    } catch (e) {
      try {
        rmdirSync(poolDir);
      } catch {
        // never created
      }
      failures.push(
        `${flavour.mechanism}: cannot create a limited group under ${parent} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
      continue;
    }
    return groupLimiter(flavour, poolDir);
  }
  return fallback(`${failures.join('; ')}; ${CGROUP_ROOT_HINT}`);
}

/** Lines of a member list (one id per line), undefined when it cannot be read. */
function countLines(path: string): number | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function removeWhenEmpty(dir: string, attempts = 40): void {
  try {
    rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EBUSY: the worker's last processes are still being reaped; try again shortly.
    if (code === 'EBUSY' && attempts > 0) setTimeout(() => removeWhenEmpty(dir, attempts - 1), 50).unref();
  }
}

function groupLimiter(flavour: Flavour, poolDir: string): MemoryLimiter {
  const live = new Set<string>();
  return {
    report: { mechanism: flavour.mechanism, detail: `one group per worker under ${poolDir}` },
    createGroup(name, limitBytes) {
      const dir = join(poolDir, name);
      try {
        mkdirSync(dir);
        flavour.setLimit(dir, limitBytes);
      } catch {
        removeWhenEmpty(dir, 0);
        return undefined;
      }
      live.add(dir);
      // The OOM counter is read every 10 ms while a job runs: through one kept descriptor.
      let oom: ProcFile | undefined;
      return {
        procsFile: join(dir, 'cgroup.procs'),
        peakBytes: () => flavour.peakBytes(dir),
        // "\noom_kill ": never the first line (v1: after oom_kill_disable, v2: after low/high/max/oom),
        // and the newline keeps v1's oom_kill_disable and v2's oom_group_kill from matching.
        oomKills: () => (oom ??= new ProcFile(join(dir, flavour.oomFile))).numberAfter(flavour.oomKey),
        // Opened afresh each time: cgroup v1 serves a kept descriptor the member list it had (for a second).
        processes: () => countLines(join(dir, 'cgroup.procs')),
        remove: () => {
          live.delete(dir);
          oom?.close();
          removeWhenEmpty(dir);
        },
      };
    },
    close() {
      for (const dir of live) removeWhenEmpty(dir, 0);
      const tryPool = (attempts: number): void => {
        try {
          for (const e of readdirSync(poolDir, { withFileTypes: true })) if (e.isDirectory()) rmdirSync(join(poolDir, e.name));
          rmdirSync(poolDir);
        } catch {
          if (attempts > 0) setTimeout(() => tryPool(attempts - 1), 50).unref();
        }
      };
      tryPool(40);
    },
  };
}
