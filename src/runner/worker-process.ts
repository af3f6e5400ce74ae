/**
 * One worker process as the parent sees it: spawn (sandboxed or not), readiness, the job in
 * flight, captured stdout/stderr (bounded), memory sampling, and a kill that takes everything
 * the worker started with it (its process group; in the sandbox the whole pid namespace).
 */
import type { Duplex } from 'node:stream';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { buildLaunchCommand, PROJECT_ROOT } from './sandbox.ts';
import type { SandboxTools } from './sandbox.ts';
import { FrameChannel } from './channel.ts';
import { parseWorkerMessage } from './protocol.ts';
import type { ParentMessage, WorkerMessage } from './protocol.ts';
import { dataBytes, processTree } from './proc-tree.ts';
import { workerNodeArgs } from './worker-bundle.ts';

export interface WorkerSettings {
  sandboxed: boolean;
  seccomp: boolean;
  tools: SandboxTools;
  memoryMb: number;
  tmpMb: number;
  maxLogBytes: number;
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

const runsAsOwnUid = (settings: WorkerSettings): boolean =>
  settings.sandboxed && typeof process.getuid === 'function' && process.getuid() === 0 && settings.tools.setpriv !== undefined;

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly ready: Promise<void>;
  state: 'starting' | 'idle' | 'busy' | 'dead' = 'starting';
  /** FMU and caller this worker is bound to after its first simulation (reuse rule). */
  binding: { sha256: string; callerId: string } | undefined;
  /** The FMU said canBeInstantiatedOnlyOncePerProcess, or a diagnostic ran: never reuse. */
  spent = false;
  /** Why we killed it (timeout, cancel, close) — a death we did not cause is the FMU's doing. */
  killReason: string | undefined;
  peakDataBytes = 0;
  /** What the worker reported of its seccomp filter at start-up. */
  seccomp: { installed: boolean; detail: string } | undefined;
  /** Processes of a healthy idle worker (wrappers + node); more after a job = the FMU forked. */
  baselineProcesses = 0;
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
    const cmd = buildLaunchCommand({
      sandboxed: settings.sandboxed,
      seccomp: settings.seccomp,
      tools: settings.tools,
      memoryMb: settings.memoryMb,
      tmpMb: settings.tmpMb,
      nproc: 128,
      uid,
      ...(stageDir === undefined ? {} : { stageDir }),
      ...(settings.sandboxed ? { outboxDir } : {}),
      fileSizeMb: settings.memoryMb,
      nodeArgs: workerNodeArgs(),
    });
    this.child = spawn(cmd.command, cmd.args, {
      env: cmd.env,
      cwd: settings.sandboxed ? '/' : PROJECT_ROOT,
      // fd 3: our framed channel (src/runner/channel.ts), not Node's IPC, whose parser throws in
      // this process when the FMU writes garbage into the worker's descriptors.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Own process group: a kill reaches whatever the worker forked (outside the sandbox too).
      detached: true,
    });
    this.pid = this.child.pid ?? -1;
    this.capture(this.child.stdout, false);
    this.capture(this.child.stderr, true);
    let markReady: (() => void) | undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) =>
        reject(new Error(`worker exited during start-up (${signal ?? `code ${code}`}): ${this.stderrTail.trim().slice(-500)}`)),
      );
    });
    this.ready.catch(() => undefined);
    const socket = this.child.stdio[3] as Duplex;
    this.channel = new FrameChannel<WorkerMessage, ParentMessage>(
      socket,
      // Every frame from the worker is untrusted (the FMU can write into the channel): schema-checked.
      parseWorkerMessage,
      (m) => {
        if (m.type === 'ready' && this.state === 'starting') {
          this.seccomp = m.seccomp;
          this.state = 'idle';
          this.baselineProcesses = processTree(this.pid).length;
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
    this.child.once('exit', (code, signal) => {
      this.state = 'dead';
      this.stopSampling();
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
      for (const p of parts) if (p !== '') this.log.push(`[${isStderr ? 'stderr' : 'stdout'}] ${p}`);
    });
  }

  send(m: ParentMessage): void {
    this.channel.send(m);
  }

  /** While a job runs: the largest data size of any process of the worker, every 10 ms (a leak of ~4 GB/s moves < 40 MiB between samples). */
  startSampling(): void {
    this.peakDataBytes = 0;
    this.sampler = setInterval(() => {
      for (const p of processTree(this.pid)) this.peakDataBytes = Math.max(this.peakDataBytes, dataBytes(p));
    }, 10);
    this.sampler.unref();
  }

  stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
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

  /** Resolves once the process has exited and its output is drained. */
  exited(): Promise<WorkerExit> {
    if (this.exitInfo !== undefined) return Promise.resolve(this.exitInfo);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }
}
