/**
 * A seccomp filter for simulation workers: once installed (before any FMU library is opened),
 * the process and all its threads can no longer open network sockets, connect, listen, send a
 * datagram to an address (sendto with a destination, sendmsg, sendmmsg: a unix socket of the host
 * visible through a bound directory would otherwise receive it), execute programs, trace other
 * processes, create siblings outside the worker's tree (CLONE_PARENT) or change namespaces and
 * mounts. Defence in depth under the
 * bubblewrap sandbox (which already gives the worker no network and a read-only system).
 *
 * It lives in src/fmi/ because this folder is the project's single native (koffi) boundary.
 * The classic BPF program is written out here (no libseccomp needed): check the architecture,
 * load the syscall number, return EPERM for the denied ones, allow the rest.
 */
import koffi from 'koffi';

// struct sock_filter / seccomp_data offsets and constants (linux/filter.h, linux/seccomp.h, linux/audit.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0 = 16;
/** seccomp_data.args[4], low and high 32-bit words (little-endian): sendto's dest_addr. */
const OFFSET_ARG4_LO = 16 + 4 * 8;
const OFFSET_ARG4_HI = OFFSET_ARG4_LO + 4;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
const RET_KILL_PROCESS = 0x80000000;
const AF_UNIX = 1;
/**
 * clone() flags that create namespaces (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET):
 * unshare and setns are denied, and clone must not be the way around that.
 */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
/**
 * CLONE_PARENT makes the new process a child of the worker's parent: outside the worker's tree
 * (unsandboxed, a child of the gateway itself), where the pool's kill after the job cannot see it.
 */
const CLONE_PARENT = 0x00008000;
const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;
/** Apply to every thread of the process (libuv's pool, V8's workers), not just the caller. */
const SECCOMP_FILTER_FLAG_TSYNC = 1;

interface ArchTable {
  audit: number;
  seccompSyscall: number;
  socket: number;
  clone: number;
  /** clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes glibc fall back to clone. */
  clone3: number;
  /** Signals: allowed only to this process (kill(0 | own pid), tgkill(own pid)), see buildFilter. */
  kill: number;
  tgkill: number;
  /** Allowed only without a destination address (connected sockets). */
  sendto: number;
  /** Denied outright (EPERM). */
  denied: Record<string, number>;
  /** x86_64 only: the x32 ABI shares the arch value; its numbers have this bit set. */
  x32Bit?: number;
}

/**
 * Numbers valid on both architectures (the unified table from 5.x on). io_uring performs
 * connect/openat/... inside the kernel where seccomp never sees them; libuv falls back to epoll.
 */
const COMMON_DENIED = {
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  pidfd_send_signal: 424,
};

const ARCHES: Record<string, ArchTable> = {
  x64: {
    audit: 0xc000003e,
    seccompSyscall: 317,
    socket: 41,
    clone: 56,
    clone3: 435,
    kill: 62,
    tgkill: 234,
    sendto: 44,
    x32Bit: 0x40000000,
    denied: {
      connect: 42,
      sendmsg: 46,
      sendmmsg: 307,
      accept: 43,
      bind: 49,
      listen: 50,
      accept4: 288,
      execve: 59,
      execveat: 322,
      ptrace: 101,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      chroot: 161,
      setns: 308,
      unshare: 272,
      keyctl: 250,
      bpf: 321,
      perf_event_open: 298,
      process_vm_readv: 310,
      process_vm_writev: 311,
      add_key: 248,
      request_key: 249,
      userfaultfd: 323,
      tkill: 200,
      rt_sigqueueinfo: 129,
      rt_tgsigqueueinfo: 297,
      ...COMMON_DENIED,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    seccompSyscall: 277,
    socket: 198,
    clone: 220,
    clone3: 435,
    kill: 129,
    tgkill: 131,
    sendto: 206,
    denied: {
      connect: 203,
      sendmsg: 211,
      sendmmsg: 269,
      accept: 202,
      bind: 200,
      listen: 201,
      accept4: 242,
      execve: 221,
      execveat: 281,
      ptrace: 117,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      chroot: 51,
      setns: 268,
      unshare: 97,
      keyctl: 219,
      bpf: 280,
      perf_event_open: 241,
      process_vm_readv: 270,
      process_vm_writev: 271,
      add_key: 217,
      request_key: 218,
      userfaultfd: 282,
      tkill: 130,
      rt_sigqueueinfo: 138,
      rt_tgsigqueueinfo: 240,
      ...COMMON_DENIED,
    },
  },
};

type Insn = [code: number, jt: number, jf: number, k: number];
type Label = 'allow' | 'eperm' | 'enosys' | 'clone' | 'socket' | 'kill' | 'tgkill' | 'sendto';
/** An instruction whose jump targets may be labels, resolved to relative offsets at the end. */
type Draft = [code: number, jt: number | Label, jf: number | Label, k: number];

/**
 * The filter program for one architecture (exported for tests). `ownPid` is this process's pid
 * as it sees itself: signals may go to it (and to its own process group, pid 0) only, so an FMU
 * cannot signal the gateway (its parent when unsandboxed) or, as root, every process (kill(-1)).
 */
export function buildFilter(arch: ArchTable, ownPid: number): Insn[] {
  const prog: Draft[] = [
    [BPF_LD_W_ABS, 0, 0, OFFSET_ARCH],
    [BPF_JEQ_K, 1, 0, arch.audit],
    [BPF_RET_K, 0, 0, RET_KILL_PROCESS],
    [BPF_LD_W_ABS, 0, 0, OFFSET_NR],
  ];
  if (arch.x32Bit !== undefined) prog.push([BPF_JGE_K, 'eperm', 0, arch.x32Bit]);
  for (const nr of Object.values(arch.denied)) prog.push([BPF_JEQ_K, 'eperm', 0, nr]);
  prog.push(
    [BPF_JEQ_K, 'enosys', 0, arch.clone3],
    [BPF_JEQ_K, 'clone', 0, arch.clone],
    [BPF_JEQ_K, 'kill', 0, arch.kill],
    [BPF_JEQ_K, 'tgkill', 0, arch.tgkill],
    [BPF_JEQ_K, 'sendto', 0, arch.sendto],
    [BPF_JEQ_K, 'socket', 'allow', arch.socket],
  );
  const labels: Partial<Record<Label, number>> = {};
  const at = (l: Label): void => void (labels[l] = prog.length);
  at('clone');
  prog.push([BPF_LD_W_ABS, 0, 0, OFFSET_ARG0], [BPF_JSET_K, 'eperm', 'allow', CLONE_NAMESPACE_FLAGS | CLONE_PARENT]);
  at('kill');
  prog.push([BPF_LD_W_ABS, 0, 0, OFFSET_ARG0], [BPF_JEQ_K, 'allow', 0, 0], [BPF_JEQ_K, 'allow', 'eperm', ownPid]);
  at('tgkill');
  prog.push([BPF_LD_W_ABS, 0, 0, OFFSET_ARG0], [BPF_JEQ_K, 'allow', 'eperm', ownPid]);
  // sendto(fd, buf, len, flags, dest_addr, addrlen): only with dest_addr NULL (both words zero).
  at('sendto');
  prog.push(
    [BPF_LD_W_ABS, 0, 0, OFFSET_ARG4_LO],
    [BPF_JEQ_K, 0, 'eperm', 0],
    [BPF_LD_W_ABS, 0, 0, OFFSET_ARG4_HI],
    [BPF_JEQ_K, 'allow', 'eperm', 0],
  );
  // socket(): only AF_UNIX (the IPC channel to the parent already exists; nothing else is needed).
  at('socket');
  prog.push([BPF_LD_W_ABS, 0, 0, OFFSET_ARG0], [BPF_JEQ_K, 'allow', 'eperm', AF_UNIX]);
  at('allow');
  prog.push([BPF_RET_K, 0, 0, RET_ALLOW]);
  at('eperm');
  prog.push([BPF_RET_K, 0, 0, RET_ERRNO | EPERM]);
  at('enosys');
  prog.push([BPF_RET_K, 0, 0, RET_ERRNO | ENOSYS]);
  const offset = (target: number | Label, i: number): number => {
    if (typeof target === 'number') return target;
    const off = (labels[target] as number) - (i + 1);
    if (off < 0 || off > 255) throw new Error(`seccomp filter: jump to ${target} out of range`);
    return off;
  };
  return prog.map(([code, jt, jf, k], i): Insn => [code, offset(jt, i), offset(jf, i), k]);
}

export type SeccompOutcome = { installed: true; denied: string[] } | { installed: false; reason: string };

/** Installs the filter in this process (irreversible). Never throws: the caller reports the outcome. */
export function installSeccompFilter(): SeccompOutcome {
  const arch = ARCHES[process.arch];
  if (process.platform !== 'linux' || arch === undefined) {
    return { installed: false, reason: `seccomp filter not available on ${process.platform}/${process.arch}` };
  }
  try {
    const libc = koffi.load('libc.so.6');
    const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
    const syscall = libc.func('long syscall(long, ...)');
    const errnoLocation = libc.func('int *__errno_location()');
    const prog = buildFilter(arch, process.pid);
    const filter = Buffer.alloc(prog.length * 8);
    prog.forEach(([code, jt, jf, k], i) => {
      filter.writeUInt16LE(code, i * 8);
      filter.writeUInt8(jt, i * 8 + 2);
      filter.writeUInt8(jf, i * 8 + 3);
      filter.writeUInt32LE(k >>> 0, i * 8 + 4);
    });
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; } in native memory.
    const filterMem = koffi.alloc('uint8_t', filter.length) as bigint;
    const fprogMem = koffi.alloc('uint8_t', 16) as bigint;
    try {
      Buffer.from(koffi.view(filterMem, filter.length)).set(filter);
      const fprog = Buffer.from(koffi.view(fprogMem, 16));
      fprog.fill(0);
      fprog.writeUInt16LE(prog.length, 0);
      fprog.writeBigUInt64LE(filterMem, 8);
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) return { installed: false, reason: 'prctl(PR_SET_NO_NEW_PRIVS) failed' };
      const r = Number(
        syscall(
          arch.seccompSyscall,
          'unsigned int',
          SECCOMP_SET_MODE_FILTER,
          'unsigned int',
          SECCOMP_FILTER_FLAG_TSYNC,
          'void *',
          fprogMem,
        ),
      );
      if (r !== 0) {
        const errno = koffi.decode(errnoLocation(), 'int') as number;
        return { installed: false, reason: `seccomp(SET_MODE_FILTER) returned ${r} (errno ${errno})` };
      }
    } finally {
      // The kernel copies the program: the buffers may go.
      koffi.free(filterMem);
      koffi.free(fprogMem);
    }
    return {
      installed: true,
      denied: [
        'socket(non-AF_UNIX)',
        'sendto(with address)',
        'clone(namespaces, CLONE_PARENT)',
        'clone3',
        'kill/tgkill(other processes)',
        ...Object.keys(arch.denied),
      ],
    };
  } catch (e) {
    return { installed: false, reason: `seccomp filter: ${e instanceof Error ? e.message : String(e)}` };
  }
}
