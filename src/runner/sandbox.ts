/**
 * How a worker process is launched: the command line that wraps `node worker-main.ts` in
 * resource limits (prlimit), an unprivileged uid (setpriv, when we are root) and a bubblewrap
 * sandbox (own user, pid, network, ipc, uts namespaces; read-only system; private size-capped
 * /tmp). The sandbox exists before the worker starts, so it is in place before any FMU library
 * is opened (a library constructor runs at dlopen).
 */
import { PROJECT_ROOT } from '../project-root.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemBinds } from '../fmi/source-build-sandbox.ts';
import { SANDBOX_RESULTS_DIR } from './result-outbox.ts';
import { readSelfTest, selfTestKey, writeSelfTest } from './sandbox-cache.ts';
import type { IsolationReport } from './types.ts';
import { workerRuntime, type WorkerRuntime } from './worker-bundle.ts';

export interface SandboxTools {
  bwrap?: string;
  prlimit?: string;
  setpriv?: string;
  /** util-linux chrt: starts workers under SCHED_BATCH (buildLaunchCommand). */
  chrt?: string;
}

export interface LaunchSpec {
  sandboxed: boolean;
  /** The worker installs its seccomp filter (src/fmi/seccomp.ts) at start, before any FMU is loaded. */
  seccomp?: boolean;
  tools: SandboxTools;
  /** RLIMIT_DATA in MiB. */
  memoryMb: number;
  /** Run under SCHED_BATCH when chrt is there (workers; not the self-test probe). */
  batch?: boolean;
  /** RLIMIT_AS in MiB (the rlimit-as memory mechanism; see memory-limit.ts). */
  addressSpaceMb?: number;
  /** cgroup.procs of the worker's memory group: the launcher enters it before anything else runs. */
  cgroupProcsFile?: string;
  /** Size of the private /tmp in MiB (sandboxed) and RLIMIT_FSIZE. */
  tmpMb: number;
  /** RLIMIT_NPROC (threads count too: node itself uses ~12). */
  nproc: number;
  /** Host uid the sandbox runs as when we are root (one per worker, so RLIMIT_NPROC is per worker). */
  uid: number;
  /** Host directory bound read-only at /fmu (the worker's staged FMU). */
  stageDir?: string;
  /** Host directory bound writable at /results (the worker's outbox, src/runner/result-outbox.ts). */
  outboxDir?: string;
  /** RLIMIT_FSIZE in MiB when larger than tmpMb: a result file holds what fits in the worker's memory. */
  fileSizeMb?: number;
  /** Arguments after `node` (loader flags, script, script args). */
  nodeArgs: string[];
  /** bwrap binds of what the worker loads (worker-bundle.ts: workerRuntime().binds). */
  binds?: string[];
  /** Added to the minimal environment (e.g. where koffi is). */
  env?: Record<string, string>;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Root of the package (package.json, build/, library/). */
export { PROJECT_ROOT };
/** Where the staged FMU appears inside the sandbox. */
export const SANDBOX_FMU_DIR = '/fmu';

const SEARCH_PATH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

export function findTools(): SandboxTools {
  const find = (name: string): string | undefined => SEARCH_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
  return { bwrap: find('bwrap'), prlimit: find('prlimit'), setpriv: find('setpriv'), chrt: find('chrt') };
}

/** A minimal environment: nothing of ours (keys, NODE_EXTRA_CA_CERTS, NODE_OPTIONS …) leaks in. */
export function workerEnv(): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8' };
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** node itself when it lives outside /usr (nvm, /opt/node …). */
function nodeBinds(): string[] {
  const exe = realpathSync(process.execPath);
  if (exe.startsWith('/usr/')) return [];
  const prefix = dirname(dirname(exe));
  return ['--ro-bind', prefix, prefix];
}

export function bwrapArgs(spec: LaunchSpec): string[] {
  const args = [
    '--unshare-all', // user, pid, net, ipc, uts, cgroup namespaces: no network at all
    '--unshare-user', // explicit: --disable-userns and --uid need it
    '--die-with-parent',
    // The worker itself is the sandbox's pid 1: no unfiltered bwrap reaper beside it whose
    // /proc/1/mem the FMU could write code into (it would run outside the seccomp filter).
    // Signals a pid 1 sends itself with the default action are ignored by the kernel (raise(SIGKILL)
    // does nothing); faults (SIGSEGV, SIGBUS, abort's final trap) and the pool's SIGKILL still end it.
    '--as-pid-1',
    '--new-session',
    '--disable-userns',
    '--uid',
    '1000',
    '--gid',
    '1000',
    '--hostname',
    'fmu-worker',
    '--cap-drop',
    'ALL',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // bwrap's /dev is a writable tmpfs of unbounded size: files there (or in /dev/shm) would
    // take host memory past the /tmp cap. Cap /dev/shm like /tmp and make the rest read-only.
    '--size',
    String(spec.tmpMb * 1024 * 1024),
    '--tmpfs',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    // The private /tmp comes before the binds so a project or stage dir under /tmp stays visible.
    '--size',
    String(spec.tmpMb * 1024 * 1024),
    '--tmpfs',
    '/tmp',
    ...systemBinds(),
    ...nodeBinds(),
    // Only what the worker loads (never the package's data: local.db, .env, other FMUs).
    ...(spec.binds ?? []),
  ];
  if (spec.stageDir !== undefined) args.push('--ro-bind', spec.stageDir, SANDBOX_FMU_DIR);
  // The one host directory the worker may write to, and only into the file the pool created.
  if (spec.outboxDir !== undefined) args.push('--bind', spec.outboxDir, SANDBOX_RESULTS_DIR);
  // bwrap's own root is an unbounded tmpfs holding the mount points: make it read-only too.
  args.push('--remount-ro', '/', '--chdir', '/tmp');
  return args;
}

export function buildLaunchCommand(spec: LaunchSpec): LaunchCommand {
  const node = realpathSync(process.execPath);
  let argv: string[] = [node, ...spec.nodeArgs];
  if (spec.sandboxed) {
    if (spec.tools.bwrap === undefined) throw new Error('bwrap is not installed');
    argv = [spec.tools.bwrap, ...bwrapArgs(spec), '--', ...argv];
    // As root, bwrap would map the sandbox to host uid 0; drop to a throw-away uid first.
    if (isRoot() && spec.tools.setpriv !== undefined) {
      argv = [spec.tools.setpriv, `--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', '--', ...argv];
    }
  }
  if (spec.tools.chrt !== undefined && spec.batch === true) {
    // SCHED_BATCH (inherited by everything the worker starts): a worker woken by its job does not
    // preempt the gateway's event loop in the middle of its write (a long-sleeping task woken
    // normally does, niced or not), and on a busy machine the gateway finishes its turn first.
    argv = [spec.tools.chrt, '--batch', '0', ...argv];
  }
  if (spec.tools.prlimit !== undefined) {
    const fsizeMb = Math.max(spec.tmpMb, spec.fileSizeMb ?? 0);
    const limits = [`--data=${spec.memoryMb * 1024 * 1024}`, `--fsize=${fsizeMb * 1024 * 1024}`, '--core=0'];
    if (spec.addressSpaceMb !== undefined) limits.push(`--as=${spec.addressSpaceMb * 1024 * 1024}`);
    // NPROC is counted per real uid: only meaningful when each worker has its own uid.
    if (spec.sandboxed && isRoot() && spec.tools.setpriv !== undefined) limits.push(`--nproc=${spec.nproc}`);
    argv = [spec.tools.prlimit, ...limits, '--', ...argv];
  }
  if (spec.cgroupProcsFile !== undefined) {
    // The shell writes its own pid (its exec chain keeps it) into the group, then becomes prlimit:
    // every process of the worker starts inside the group, none can be forked before it.
    argv = ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', spec.cgroupProcsFile, ...argv];
  }
  const [command, ...args] = argv as [string, ...string[]];
  const env = { ...workerEnv(), ...spec.env };
  return { command, args, env: spec.seccomp === true ? { ...env, FMU_GATEWAY_SECCOMP: '1' } : env };
}

/** Checks run by a sandboxed `node -e` (plain JS, no tsx: the self-test must be quick). */
const PROBE_SCRIPT = `
const fs = require('fs'), os = require('os'), net = require('net');
const out = { tmpWrite: false, outsideWrite: false, interfaces: Object.keys(os.networkInterfaces()), pid: process.pid, rootOwned: fs.statSync('/usr').uid === process.getuid(), dataLimit: '' };
try { fs.writeFileSync('/tmp/.probe', 'x'); out.tmpWrite = true; } catch {}
for (const d of [process.argv[1], '/', '/usr']) { try { fs.writeFileSync(d + '/.sandbox-probe', 'x'); fs.unlinkSync(d + '/.sandbox-probe'); out.outsideWrite = true; } catch {} }
try { out.dataLimit = (fs.readFileSync('/proc/self/limits', 'utf8').match(/Max data size\\s+(\\S+)/) || [])[1] || ''; } catch {}
const s = net.connect({ host: '192.0.2.1', port: 9 });
const done = (r) => { out.connect = r; s.destroy(); process.stdout.write(JSON.stringify(out)); };
s.setTimeout(1500, () => done('timeout'));
s.on('connect', () => done('connected'));
s.on('error', (e) => done(e.code || 'error'));
`;

interface ProbeResult {
  tmpWrite: boolean;
  outsideWrite: boolean;
  interfaces: string[];
  pid: number;
  /** The sandbox user owns host-root files: the sandbox runs as host uid 0. */
  rootOwned: boolean;
  dataLimit: string;
  connect: string;
}

/**
 * Starts one sandboxed child (synchronously, ~50 ms) and checks what isolation it really has:
 * no network, no writes outside /tmp, own pid namespace, unprivileged uid, memory limit.
 */
export function selfTestSandbox(
  opts: {
    memoryMb?: number;
    tmpMb?: number;
    tools?: SandboxTools;
    runtime?: Pick<WorkerRuntime, 'binds' | 'env' | 'packagePath'>;
    /** Remember a positive verdict here and reuse it while nothing it depends on changed (sandbox-cache.ts). */
    cacheDir?: string;
    /** Called when the verdict came from that cache (no probe ran). */
    onCached?: () => void;
  } = {},
): IsolationReport {
  const tools = opts.tools ?? findTools();
  const missing: string[] = [];
  const features: string[] = ['separate-process', 'minimal-environment'];
  if (tools.prlimit !== undefined) features.push('rlimit-data', 'rlimit-fsize');
  else missing.push('prlimit: not found (util-linux) — no memory limit per worker');
  if (process.platform !== 'linux') {
    missing.push(`sandbox: bubblewrap is Linux-only (platform ${process.platform})`);
    return { level: 'process-only', features, missing };
  }
  if (tools.bwrap === undefined || !existsSync(tools.bwrap)) {
    missing.push('bwrap: not installed (Debian/Ubuntu: apt-get install bubblewrap)');
    return { level: 'process-only', features, missing };
  }
  if (isRoot() && tools.setpriv === undefined) missing.push('setpriv: not found — sandbox would keep host uid 0');
  // The probe gets the same binds as a worker: a sandbox that cannot show the worker's files
  // (unreadable folder, missing addon) fails here, with the reason, not at the first job.
  let runtime: Pick<WorkerRuntime, 'binds' | 'env' | 'packagePath'>;
  try {
    runtime = opts.runtime ?? workerRuntime();
  } catch (e) {
    missing.push(`worker: ${(e as Error).message}`);
    return { level: 'process-only', features, missing };
  }
  const cmd = buildLaunchCommand({
    sandboxed: true,
    tools,
    memoryMb: opts.memoryMb ?? 1024,
    tmpMb: opts.tmpMb ?? 16,
    nproc: 64,
    uid: 99_999,
    binds: runtime.binds,
    env: runtime.env,
    nodeArgs: ['-e', PROBE_SCRIPT, runtime.packagePath],
  });
  const cacheKey = opts.cacheDir === undefined ? undefined : selfTestKey(cmd, [tools.bwrap, tools.setpriv, tools.prlimit]);
  if (opts.cacheDir !== undefined && cacheKey !== undefined) {
    const known = readSelfTest(opts.cacheDir, cacheKey);
    if (known !== undefined) {
      opts.onCached?.();
      return known;
    }
  }
  const r = spawnSync(cmd.command, cmd.args, { env: cmd.env, encoding: 'utf8', timeout: 10_000 });
  let probe: ProbeResult | undefined;
  try {
    probe = JSON.parse(r.stdout) as ProbeResult;
  } catch {
    // bubblewrap is installed but the sandbox did not start: say what was run and what it said.
    const why =
      (r.stderr || r.error?.message || '').trim() || `no output, ${r.status === null ? `signal ${r.signal}` : `exit code ${r.status}`}`;
    missing.push(
      `bwrap: installed (${tools.bwrap}) but the sandbox did not start: ${why} — command tried: ${shellQuote([cmd.command, ...cmd.args.map((a) => (a === PROBE_SCRIPT ? '<probe script>' : a))])}`,
    );
    return { level: 'process-only', features, missing };
  }
  const fail = (what: string): void => void missing.push(what);
  features.push('bwrap');
  if (probe.interfaces.every((i) => i === 'lo') && probe.connect !== 'connected') features.push('network-namespace');
  else fail(`network: sandbox still has interfaces ${probe.interfaces.join(',')} (connect: ${probe.connect})`);
  if (!probe.outsideWrite) features.push('read-only-root');
  else fail('filesystem: sandbox could write to the project directory');
  if (probe.tmpWrite) features.push('private-tmp');
  else fail('filesystem: private /tmp not writable');
  if (probe.pid <= 3) features.push('pid-namespace');
  else fail('pid namespace: not private');
  if (!probe.rootOwned) features.push('unprivileged-uid');
  else fail('uid: sandbox maps to host root');
  const sandboxed = ['network-namespace', 'read-only-root', 'pid-namespace'].every((f) => features.includes(f));
  const report: IsolationReport = { level: sandboxed ? 'sandboxed' : 'process-only', features, missing };
  if (opts.cacheDir !== undefined && cacheKey !== undefined) writeSelfTest(opts.cacheDir, cacheKey, report);
  return report;
}

/** A command line as a person would paste it into a shell. */
function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
