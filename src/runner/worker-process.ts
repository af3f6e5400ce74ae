/**
 * One worker process as the parent sees it: spawn (sandboxed or not), readiness, the job in
 * flight, captured stdout/stderr (bounded), memory sampling, and a kill that takes everything
 * the worker started with it (its process group; in the sandbox the whole pid namespace).
 */
import type { Duplex } from 'node:stream';
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { buildLaunchCommand, PROJECT_ROOT } from './sandbox.ts';
import type { SandboxTools } from './sandbox.ts';
import { FrameChannel } from './channel.ts';
import type { ParentMessage, WorkerMessage, parseWorkerMessage } from './protocol.ts';
import { ProcessMemoryReader, processTree, ThreadCountReader, threadCount, treeFootprint } from './proc-tree.ts';
import { AS_HEADROOM_MB } from './memory-limit.ts';
import type { MemoryLimiter, WorkerMemoryGroup } from './memory-limit.ts';
import { workerRuntime } from './worker-bundle.ts';
import { closeSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { createInheritableDescriptors } from './inheritable-fds.ts';
import { GatewayError } from '../errors.ts';
import { createLogFile, readLogTail, type WorkerLogFile } from './result-outbox.ts';
import { markStartup, relayWorkerMark, startupTraceEnabled } from '../startup-trace.ts';
import { markDescriptorsCloseOnExec } from '../fmi/close-on-exec.ts';

export interface WorkerSettings {
  sandboxed: boolean;
  seccomp: boolean;
  tools: SandboxTools;
  memoryMb: number;
  tmpMb: number;
  maxLogBytes: number;
  /** Enforces memoryMb for all memory (a cgroup per worker, or RLIMIT_AS + sampling). */
  memory: MemoryLimiter;
}

/** Bounded ring of text lines (FMU log and stdout/stderr), newest kept. */
export class LineRing {
  private lines: string[] = [];
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  push(line: string): void {
    const cut = line.length > this.maxBytes ? `${line.slice(0, this.maxBytes - 8)} …[cut]` : line;
    this.lines.push(cut);
    this.bytes += cut.length + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) this.bytes -= (this.lines.shift() as string).length + 1;
  }
  tail(n: number): string[] {
    return this.lines.slice(-n);
  }
  clear(): void {
    this.lines = [];
    this.bytes = 0;
  }
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let uidCounter = 0;

/** Inherited descriptors up to this one are replaced in the worker's launcher; past it they are marked instead. */
const MAX_REPLACED_FD = 1023;
/** /dev/null, read-only, opened once (close-on-exec, as node opens everything). */
let devNull: number | undefined;

/** The gateway's inheritable descriptors, remembered between spawns (src/runner/inheritable-fds.ts). */
const inheritableDescriptors = createInheritableDescriptors();

/**
 * The worker's stdio: fd 1, 2 captured, fd 3 our channel, and every descriptor the gateway
 * inherited without close-on-exec replaced by /dev/null, so nothing of the gateway's parent
 * passes through prlimit, setpriv and bwrap into the worker, where the FMU could write into it
 * (the worker's own second line: closeStrayDescriptors, src/fmi/process-hardening.ts). This needs
 * no native call: marking them close-on-exec (markDescriptorsCloseOnExec) loads koffi into the
 * gateway, tens of ms before the first worker's spawn; it remains the fallback when fdinfo cannot
 * be read or a descriptor is too high to replace.
 */
function workerStdio(): StdioOptions {
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe', 'pipe'];
  const inheritable = inheritableDescriptors.list();
  if (inheritable === undefined || inheritable.some((fd) => fd > MAX_REPLACED_FD)) {
    markDescriptorsCloseOnExec();
    return stdio;
  }
  for (const fd of inheritable) {
    if (fd <= 3) continue; // fd 3 is the channel
    devNull ??= openSync('/dev/null', 'r');
    while (stdio.length < fd) stdio.push('ignore');
    stdio[fd] = devNull;
  }
  return stdio;
}

/**
 * The frame validator (zod and the protocol's schemas) is loaded once the first worker is spawned,
 * not before: the spawn is that much earlier (start-up, docs/architecture.md). Until it is loaded a
 * worker's channel is paused (its frames wait in the socket), so no frame is ever taken unchecked.
 */
type Validator = typeof parseWorkerMessage;
let validator: Validator | undefined;
let validatorLoading: Promise<Validator> | undefined;
function loadValidator(): Promise<Validator> {
  return (validatorLoading ??= import('./protocol.ts').then((m) => (validator = m.parseWorkerMessage)));
}

/** A worker's FMU log file is emptied at a job's start once it is larger than this. */
const LOG_ROTATE_BYTES = 4 * 1024 * 1024;

const runsAsOwnUid = (settings: WorkerSettings): boolean =>
  settings.sandboxed && typeof process.getuid === 'function' && process.getuid() === 0 && settings.tools.setpriv !== undefined;

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly ready: Promise<void>;
  state: 'starting' | 'idle' | 'busy' | 'dead' = 'starting';
  /** FMU and caller (null: anonymous) this worker is bound to after its first simulation (reuse rule). */
  binding: { sha256: string; callerId: string | null } | undefined;
  /** Where the bound FMU is seen by the worker (staged into its sandbox, or the host paths). */
  staged: { unpackedDir: string; binaryPath?: string } | undefined;
  /** The FMU whose model description this worker was sent (it keeps it: runner/simulate-job.ts). */
  describedSha256: string | undefined;
  /** The FMU said canBeInstantiatedOnlyOncePerProcess, or a diagnostic ran: never reuse. */
  spent = false;
  /** Why we killed it (timeout, cancel, close) — a death we did not cause is the FMU's doing. */
  killReason: string | undefined;
  /** Peak VmData of any of its processes during the job (what RLIMIT_DATA counts). */
  peakDataBytes = 0;
  /** Peak of all its memory during the job: the cgroup's, else the sampled resident anonymous + shared sum. */
  peakMemoryBytes = 0;
  /** Its memory cgroup (cgroup mechanisms only). */
  readonly memoryGroup: WorkerMemoryGroup | undefined;
  /** Called when the worker went past its memory limit while alive (a forked child OOM-killed, or the sampled sum). */
  onMemoryExceeded: (() => void) | undefined;
  /** What the worker reported of its seccomp filter at start-up. */
  seccomp: { installed: boolean; detail: string } | undefined;
  /**
   * Processes and threads of the healthy idle worker (wrappers + node, node's fixed thread pools):
   * more after a job means the FMU forked, or left a thread running after freeInstance.
   */
  baseline = { processes: 0, threads: 0 };
  /** The memory group's OOM kills counted after the last job (a new group has none): the next job's baseline. */
  private oomKillsSeen = 0;
  /** The worker's node process (host pid): the one that loads the FMU; its tree's most threaded process. */
  private nodePid: number | undefined;
  /** node's thread count, read through a kept descriptor (with a memory group: see footprint). */
  private nodeThreads: ThreadCountReader | undefined;
  /** The FMU log file the worker appends to (created with the first job), and how much of it the log ring holds. */
  private logFile: WorkerLogFile | undefined;
  private logTaken = 0;
  /** /proc/<pid>/status readers of the processes sampled, kept open while jobs run. */
  private readonly memoryReaders = new Map<number, ProcessMemoryReader>();
  readonly log: LineRing;
  stderrTail = '';
  onMessage: ((m: WorkerMessage) => void) | undefined;
  /** Called when the worker's channel carried something that is not our protocol (the worker is then killed). */
  onCorrupt: ((reason: string) => void) | undefined;
  private readonly channel: FrameChannel<WorkerMessage, ParentMessage>;
  onExit: ((e: WorkerExit) => void) | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private exitInfo: WorkerExit | undefined;
  private readonly exitWaiters: ((e: WorkerExit) => void)[] = [];
  /** The host uid the sandboxed worker runs as, when it has one of its own (the gateway is root). */
  readonly hostUid: number | undefined;

  constructor(
    readonly settings: WorkerSettings,
    readonly stageDir: string | undefined,
    /** Host directory the worker writes its result files into (src/runner/result-outbox.ts). */
    readonly outboxDir: string,
  ) {
    this.log = new LineRing(settings.maxLogBytes);
    const uid = 200_000 + (uidCounter++ % 50_000);
    this.hostUid = runsAsOwnUid(settings) ? uid : undefined;
    this.memoryGroup = settings.memory.createGroup(`w${uid}-${uidCounter}`, settings.memoryMb * 1024 * 1024);
    markStartup('worker-process: memory group made');
    const runtime = workerRuntime();
    markStartup('worker-process: runtime resolved');
    const cmd = buildLaunchCommand({
      sandboxed: settings.sandboxed,
      seccomp: settings.seccomp,
      tools: settings.tools,
      batch: true,
      memoryMb: settings.memoryMb,
      tmpMb: settings.tmpMb,
      nproc: 128,
      uid,
      ...(stageDir === undefined ? {} : { stageDir }),
      ...(settings.sandboxed ? { outboxDir } : {}),
      fileSizeMb: settings.memoryMb,
      ...(this.memoryGroup !== undefined ? { cgroupProcsFile: this.memoryGroup.procsFile } : {}),
      ...(settings.memory.report.mechanism === 'rlimit-as' ? { addressSpaceMb: settings.memoryMb + AS_HEADROOM_MB } : {}),
      nodeArgs: runtime.nodeArgs,
      binds: runtime.binds,
      // FMU_GATEWAY_TRACE_STARTUP reaches the worker too: its phases join ours (src/startup-trace.ts).
      env: startupTraceEnabled() ? { ...runtime.env, FMU_GATEWAY_TRACE_STARTUP: '1' } : runtime.env,
    });
    markStartup('worker-process: launch command built');
    // Nothing the gateway inherited from its own parent may reach the worker (only fds 0-3 do).
    const stdio = workerStdio();
    markStartup('worker-process: descriptors checked');
    this.child = spawn(cmd.command, cmd.args, {
      env: cmd.env,
      cwd: settings.sandboxed ? '/' : PROJECT_ROOT,
      // fd 3: our framed channel (src/runner/channel.ts), not Node's IPC, whose parser throws in
      // this process when the FMU writes garbage into the worker's descriptors.
      stdio,
      // Own process group: a kill reaches whatever the worker forked (outside the sandbox too).
      detached: true,
    });
    this.pid = this.child.pid ?? -1;
    markStartup('worker-process: spawned');
    this.capture(this.child.stdout, false);
    this.capture(this.child.stderr, true);
    let markReady: (() => void) | undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      this.child.once('error', (e) => reject(startFailure(`could not run ${cmd.command}: ${e.message}`, '')));
      this.child.once('exit', (code, signal) =>
        reject(startFailure(`exited during start-up (${signal ?? `code ${code}`})`, this.stderrTail)),
      );
    });
    this.ready.catch(() => undefined);
    const socket = this.child.stdio[3] as Duplex;
    this.channel = new FrameChannel<WorkerMessage, ParentMessage>(
      socket,
      // Every frame from the worker is untrusted (the FMU can write into the channel): schema-checked.
      // The socket is paused below until the validator is loaded, so it is defined here.
      (frame) => (validator as Validator)(frame),
      (m) => {
        if (m.type === 'ready' && this.state === 'starting') {
          this.seccomp = m.seccomp;
          this.state = 'idle';
          this.takeBaseline();
          markReady?.();
          return;
        }
        // Nothing may speak while no job runs: a thread the FMU left behind is writing frames.
        if (this.onMessage === undefined) this.kill('message while idle');
        else this.onMessage(m);
      },
      (reason) => {
        this.onCorrupt?.(reason);
        this.kill('channel corrupted');
      },
      // No legitimate frame is larger than the worker's own memory: refuse bigger ones unbuffered.
      Math.max(64, settings.memoryMb) * 1024 * 1024,
    );
    (socket as unknown as { unref?: () => void }).unref?.();
    if (validator === undefined) {
      socket.pause();
      loadValidator().then(
        () => socket.resume(),
        (e: unknown) => {
          this.stderrTail += `\nthe gateway could not load its frame validator: ${(e as Error).message}`;
          this.kill('validator unavailable');
        },
      );
    }
    this.child.once('exit', (code, signal) => {
      this.state = 'dead';
      this.stopSampling();
      this.closeReaders();
      // 'close' comes once stdio and the IPC channel are drained (the FMU's last log lines);
      // a forked process still holding a pipe must not delay the verdict more than briefly.
      const info = { code, signal };
      const timer = setTimeout(() => this.finishExit(info), 200);
      this.child.once('close', () => {
        clearTimeout(timer);
        this.finishExit(info);
      });
    });
    // The pool must not keep the event loop alive, and must not die on an EPIPE to a dead worker.
    this.child.on('error', () => undefined);
    this.child.unref();
  }

  private finishExit(info: WorkerExit): void {
    if (this.exitInfo !== undefined) return;
    this.exitInfo = info;
    for (const waiter of this.exitWaiters) waiter(info);
    this.onExit?.(info);
    // After the handlers: the job's verdict reads the FMU's last log lines through this descriptor.
    if (this.logFile !== undefined) closeSync(this.logFile.fd);
    this.logFile = undefined;
  }

  /**
   * The FMU log for the next job (created on the first); its host path. The file is not emptied
   * per job (a truncate of a written ext4 file is a journal transaction, the costliest call of a
   * run): the job's lines are those past its size now, and it is emptied only past LOG_ROTATE_BYTES.
   */
  startLog(): string {
    if (this.logFile === undefined) this.logFile = createLogFile(this.outboxDir, this.hostUid);
    let size = fstatSync(this.logFile.fd).size;
    if (size > LOG_ROTATE_BYTES) {
      ftruncateSync(this.logFile.fd, 0);
      size = 0;
    }
    this.logTaken = size;
    return this.logFile.path;
  }

  /**
   * The last n lines of the job's log: stdout/stderr and FMU log lines received, with the FMU's
   * log file read now (only a failing job needs them: the result carries a successful run's log).
   */
  lastLogLines(n: number): string[] {
    if (this.logFile !== undefined) {
      try {
        const { lines, end } = readLogTail(this.logFile, this.logTaken, this.settings.maxLogBytes);
        this.logTaken = end;
        for (const line of lines) this.log.push(line);
      } catch {
        // unreadable: the ring keeps what it has
      }
    }
    return this.log.tail(n);
  }

  private capture(stream: NodeJS.ReadableStream | null, isStderr: boolean): void {
    if (stream === null) return;
    let partial = '';
    (stream as unknown as { unref?: () => void }).unref?.();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (isStderr) this.stderrTail = (this.stderrTail + chunk).slice(-4096);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > this.settings.maxLogBytes) partial = partial.slice(-this.settings.maxLogBytes);
      for (const p of parts) {
        if (p === '' || (isStderr && relayWorkerMark(p))) continue;
        this.log.push(`[${isStderr ? 'stderr' : 'stdout'}] ${p}`);
      }
    });
  }

  send(m: ParentMessage): void {
    this.channel.send(m);
  }

  /** What the idle worker consists of (after start-up), for leftSomethingRunning. */
  private takeBaseline(): void {
    const tree = processTree(this.pid);
    let threads = 0;
    let most = -1;
    for (const p of tree) {
      const n = threadCount(p);
      threads += n;
      if (n > most) {
        most = n;
        this.nodePid = p;
      }
    }
    this.baseline = { processes: tree.length, threads };
    const group = this.memoryGroup?.processes();
    if (group !== undefined && this.nodePid !== undefined) {
      this.nodeThreads = new ThreadCountReader(this.nodePid);
      this.baseline = { processes: group, threads: this.nodeThreads.read() };
    }
  }

  /**
   * Processes and threads now, as the baseline counted them. With a memory group: the group's
   * process list (one read; the FMU cannot fork out of it) and node's own thread count (one read
   * through a kept descriptor: the wrappers around it are single-threaded programs the FMU cannot
   * add threads to, and a thread in a forked process comes with a process more). Otherwise the
   * tree walk, one /proc read per thread of every process.
   */
  private footprint(): { processes: number; threads: number } {
    const processes = this.nodeThreads === undefined ? undefined : this.memoryGroup?.processes();
    if (processes === undefined || this.nodeThreads === undefined) return treeFootprint(this.pid);
    return { processes, threads: this.nodeThreads.read() };
  }

  private memoryOf(pid: number): ProcessMemoryReader {
    let r = this.memoryReaders.get(pid);
    if (r === undefined) {
      r = new ProcessMemoryReader(pid);
      this.memoryReaders.set(pid, r);
    }
    return r;
  }

  /**
   * While a job runs, every 10 ms (a leak of ~4 GB/s moves < 40 MiB between samples): the data
   * size of the worker's node process (what RLIMIT_DATA counts, read to explain a crash), and
   * either the cgroup's OOM kills (a forked child killed while the worker lives is still the job
   * going past its limit; the kernel enforces the limit itself, so nothing else needs sampling) or,
   * under rlimit-as, the resident anonymous + shared memory of the whole tree against the limit.
   * A busy server runs this for every running job on its event loop: each file is read through a
   * kept descriptor into a reused buffer, and the tree (one /proc read per thread of every
   * process) is walked only under rlimit-as, every 5th sample (a process forked meanwhile is seen
   * within 50 ms).
   */
  startSampling(): void {
    this.peakDataBytes = 0;
    this.peakMemoryBytes = 0;
    const group = this.memoryGroup;
    const limit = this.settings.memoryMb * 1024 * 1024;
    // The group's OOM kills before this job: counted after the last one (leftSomethingRunning,
    // off the request's path), 0 for a new group; not read here, where the job waits for it.
    const oomAtStart = this.oomKillsSeen;
    const node = this.nodePid ?? this.pid;
    let tree: number[] = [node];
    let ticks = 0;
    this.sampler = setInterval(() => {
      if (group !== undefined) {
        this.peakDataBytes = Math.max(this.peakDataBytes, this.memoryOf(node).read().dataBytes);
        if (group.oomKills() > oomAtStart) this.memoryExceeded();
        return;
      }
      if (ticks++ % 5 === 0) {
        tree = processTree(this.pid);
        for (const [pid, r] of this.memoryReaders) {
          if (tree.includes(pid)) continue;
          r.close();
          this.memoryReaders.delete(pid);
        }
      }
      let resident = 0;
      for (const p of tree) {
        const m = this.memoryOf(p).read();
        this.peakDataBytes = Math.max(this.peakDataBytes, m.dataBytes);
        resident += m.residentBytes;
      }
      this.peakMemoryBytes = Math.max(this.peakMemoryBytes, resident);
      if (resident > limit) this.memoryExceeded();
    }, 10);
    this.sampler.unref();
  }

  private memoryExceeded(): void {
    this.stopSampling();
    this.onMemoryExceeded?.();
  }

  /** The worker's memory peak for the job: the cgroup's own figure when there is one. */
  memoryPeak(): number {
    return this.memoryGroup === undefined ? this.peakMemoryBytes : Math.max(this.peakMemoryBytes, this.memoryGroup.peakBytes());
  }

  /** The kernel OOM-killed a process of this worker (its cgroup says so). */
  oomKilled(): boolean {
    return (this.memoryGroup?.oomKills() ?? 0) > 0;
  }

  stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  /** Closes the kept /proc descriptors (the worker is gone, or its job ended and it idles long). */
  private closeReaders(): void {
    for (const r of this.memoryReaders.values()) r.close();
    this.memoryReaders.clear();
    this.nodeThreads?.close();
  }

  /** SIGKILL the worker's process group (and, sandboxed, its pid namespace with it). */
  kill(reason: string): void {
    if (this.state === 'dead') return;
    this.killReason ??= reason;
    this.stopSampling();
    // Processes that left the group (setsid) are still in the tree: kill those we can see too.
    const tree = processTree(this.pid);
    for (const target of [-this.pid, ...tree]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Something of the FMU outlived its job: a process it forked or a thread it started. */
  leftSomethingRunning(): boolean {
    this.oomKillsSeen = this.memoryGroup?.oomKills() ?? 0;
    const now = this.footprint();
    return now.processes > this.baseline.processes || now.threads > this.baseline.threads;
  }

  /** Resolves once the process has exited and its output is drained. */
  exited(): Promise<WorkerExit> {
    if (this.exitInfo !== undefined) return Promise.resolve(this.exitInfo);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }
}

/**
 * WORKER_START_FAILED naming what was missing: Node's "Cannot find module/package X (imported
 * from Y)", the koffi loader's own line, or bubblewrap's complaint, in full — plus the stderr tail.
 */
export function startFailure(what: string, stderr: string): GatewayError {
  const text = stderr.trim();
  const data: Record<string, unknown> = { stderr: text.slice(-2000) };
  let m: RegExpExecArray | null;
  if ((m = /cannot load module (\S+) from (\S+): ([^\n]*)/.exec(text)) !== null) {
    data.module = m[1];
    data.path = m[2];
  } else if ((m = /Cannot find (?:package|module) '([^']+)'(?: imported from (\S+))?/.exec(text)) !== null) {
    data.module = m[1];
    data.path = m[2] ?? m[1];
  } else if ((m = /^bwrap: ([^\n]*)/m.exec(text)) !== null) {
    data.sandbox = m[1];
  }
  const line = m?.[0] ?? text.split('\n').slice(-3).join(' ');
  return new GatewayError('WORKER_START_FAILED', `The simulation worker ${what}${line !== '' ? `: ${line}` : ''}`, data);
}
