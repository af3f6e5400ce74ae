/**
 * Built-in diagnostic jobs run inside a worker (no eval): they behave like hostile FMUs
 * (block, spin, allocate, crash, flood the log, probe the sandbox) so the pool's limits can
 * be tested before any FMU exists, and `doctor` can show them working.
 */
import { writeFileSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { GatewayError } from '../errors.ts';
import type { DiagnosticJob } from './types.ts';

function probeConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (r: string): void => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(1000, () => done('timeout'));
    s.on('connect', () => done('connected'));
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
  });
}

function probeWrite(path: string): string {
  try {
    writeFileSync(path, 'written by a sandboxed worker\n');
    unlinkSync(path);
    return 'written';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

export async function runDiagnostic(job: DiagnosticJob, log: (line: string) => void): Promise<unknown> {
  switch (job.name) {
    case 'echo':
      return job.value;
    case 'sleep':
      // Blocks the thread like native code stuck in a syscall: no timer or message can run.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.ms);
      return { slept: job.ms };
    case 'spin': {
      const end = Date.now() + job.ms;
      let n = 0;
      while (Date.now() < end) n++;
      return { iterations: n };
    }
    case 'allocate': {
      // Buffers live outside the V8 heap (malloc), so RLIMIT_DATA stops them like FMU mallocs.
      const chunks: Buffer[] = [];
      try {
        for (let i = 0; i < job.mb / 16; i++) chunks.push(Buffer.alloc(16 * 1024 * 1024, 1));
      } catch (e) {
        throw new GatewayError('SIMULATION_OUT_OF_MEMORY', `Allocation failed after ${chunks.length * 16} MiB: ${(e as Error).message}`);
      }
      return { allocatedMb: chunks.length * 16 };
    }
    case 'crash': {
      const { crashNatively } = await import('../fmi/diagnostic-crash.ts');
      crashNatively(job.signal);
      return undefined;
    }
    case 'log':
      for (let i = 0; i < job.lines; i++) log(`line ${i} ${'x'.repeat(job.bytesPerLine)}`);
      return { lines: job.lines };
    case 'probe':
      return {
        connect: job.connectPort === undefined ? undefined : await probeConnect(job.connectPort),
        write: job.writePath === undefined ? undefined : probeWrite(job.writePath),
      };
    case 'load-library': {
      const { loadLibraryDiagnostic } = await import('../fmi/diagnostic-load.ts');
      return loadLibraryDiagnostic(job.path, job.symbol);
    }
  }
}
