/**
 * Diagnostic only (runner self-tests, `fmu-gateway doctor`): crash the current process the way a
 * faulty FMU does, in native code. A signal sent to oneself is no stand-in inside the sandbox:
 * there the worker is pid 1 of its pid namespace, and the kernel drops default-action signals a
 * namespace's init sends itself. Faults are delivered regardless.
 */
import koffi from 'koffi';

export function crashNatively(signal: 'SIGSEGV' | 'SIGABRT' | 'SIGBUS'): void {
  const libc = koffi.load('libc.so.6');
  if (signal === 'SIGABRT') {
    // glibc's abort(): raise(SIGABRT), and if that was ignored (pid 1), a trapping instruction.
    libc.func('void abort(void)')();
  } else if (signal === 'SIGBUS') {
    // A plain process dies here; pid 1 ignores it and falls through to the fault below.
    process.kill(process.pid, 'SIGBUS');
  }
  // A write through a NULL pointer inside libc: SIGSEGV.
  libc.func('void *memset(void *, int, size_t)')(null, 1, 1);
}
