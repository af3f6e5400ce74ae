/**
 * The pool's limits, queue, cancellation and sandbox with built-in diagnostic jobs (they block,
 * spin, allocate, crash and probe like hostile FMUs, without needing an FMU).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';
import { isAlive } from '../../src/runner/proc-tree.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import type { GatewayError } from '../../src/errors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
const code = (e: unknown): string => (e as GatewayError).code;

async function rejectsWith(p: Promise<unknown>, expected: string): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    assert.equal(code(e), expected, `expected ${expected}, got ${code(e)}: ${(e as Error).message}`);
    return e as GatewayError;
  }
  assert.fail(`expected ${expected}, but the job succeeded`);
}

async function waitFor(cond: () => boolean, ms = 5000, state?: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`condition not reached in time${state === undefined ? '' : `: ${JSON.stringify(state())}`}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tiny = { fmu: { sha256: 'a'.repeat(64), unpackedDir: '/nonexistent' } };

describe('worker pool with diagnostic jobs', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-pool-'));
    pool = createWorkerPool({ size: 2, timeoutMs: 2000, memoryMb: 384, queueLength: 3, cacheDir: dir });
  });
  after(async () => {
    const pids = pool.stats().pids;
    await pool.close();
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} survived close()`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the sandbox as active when bubblewrap works', { skip: !hasBwrap }, () => {
    assert.equal(pool.isolation.level, 'sandboxed', pool.isolation.missing.join('; '));
    for (const f of ['network-namespace', 'pid-namespace', 'read-only-root', 'unprivileged-uid']) {
      assert.ok(pool.isolation.features.includes(f), `missing feature ${f}`);
    }
  });

  it('round-trips typed arrays over the IPC channel', async () => {
    const value = await pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: { x: new Float64Array([1.5, -2]) } });
    assert.ok((value as { x: unknown }).x instanceof Float64Array);
    assert.deepEqual([...(value as { x: Float64Array }).x], [1.5, -2]);
  });

  it('stops a job blocked in a syscall at the wall-clock limit and kills its worker', async () => {
    const t0 = Date.now();
    const e = await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'sleep', ms: 60_000 }), 'SIMULATION_TIMEOUT');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 1900 && elapsed < 6000, `timeout after ${elapsed} ms`);
    assert.equal(e.data?.timeout_ms, 2000);
  });

  it('stops a busy loop at the wall-clock limit', async () => {
    await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'spin', ms: 60_000 }), 'SIMULATION_TIMEOUT');
  });

  it('reports a crash by signal as FMU_CRASHED with the signal name', async () => {
    const e = await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'crash', signal: 'SIGSEGV' }), 'FMU_CRASHED');
    assert.equal(e.data?.signal, 'SIGSEGV');
    const e2 = await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'crash', signal: 'SIGABRT' }), 'FMU_CRASHED');
    // In the sandbox the worker is pid 1, whose own SIGABRT the kernel drops: abort() then ends
    // in its trapping instruction (SIGSEGV). Unsandboxed it is the SIGABRT itself.
    assert.equal(e2.data?.signal, pool.isolation.level === 'sandboxed' ? 'SIGSEGV' : 'SIGABRT');
  });

  it('stops runaway allocation at the memory limit with SIMULATION_OUT_OF_MEMORY', async () => {
    const e = await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'allocate', mb: 4096 }), 'SIMULATION_OUT_OF_MEMORY');
    assert.match(e.message, /MiB/);
  });

  it('keeps working after crashes, timeouts and allocation failures', async () => {
    assert.equal(await pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 42 }), 42);
  });

  it('survives a flood of log lines without slowing down the parent', async () => {
    const t0 = Date.now();
    const r = await pool.runDiagnostic({ kind: 'diagnostic', name: 'log', lines: 200_000, bytesPerLine: 200 });
    assert.deepEqual(r, { lines: 200_000 });
    assert.ok(Date.now() - t0 < 5000);
  });

  it('refuses an output grid above the row limit before starting anything', async () => {
    const busyBefore = pool.stats().busy;
    await rejectsWith(pool.run({ ...tiny, options: { startTime: 0, stopTime: 1e6, outputInterval: 1e-3 } }), 'OUTPUT_LIMIT_EXCEEDED');
    assert.equal(pool.stats().busy, busyBefore);
  });

  it('cancels a running job by killing its worker, freeing the slot', async () => {
    const ac = new AbortController();
    let workerPid = 0;
    const p = pool.runDiagnostic(
      { kind: 'diagnostic', name: 'sleep', ms: 60_000 },
      { signal: ac.signal, onDispatch: (d) => (workerPid = d.workerPid) },
    );
    await waitFor(() => workerPid !== 0, 15_000); // dispatched (a cold start can be slow on a loaded machine)
    await new Promise((r) => setTimeout(r, 100));
    const others = pool.stats().pids.filter((pid) => pid !== workerPid);
    const t0 = Date.now();
    ac.abort();
    await rejectsWith(p, 'CANCELLED');
    assert.ok(Date.now() - t0 < 500);
    await waitFor(() => !isAlive(workerPid), 2000);
    // Only the cancelled job's worker was killed: the spares are all still there.
    assert.deepEqual(
      others.filter((pid) => !isAlive(pid)),
      [],
      'no other worker was stopped',
    );
    assert.equal(await pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 'after cancel' }), 'after cancel');
  });

  it('cancels a queued job without running it, and rejects beyond the queue with QUEUE_FULL', async () => {
    // Both blockers must run at once: wait for two warm spares (a cold start can take > 800 ms on a loaded machine).
    await waitFor(
      () => pool.stats().spare === 2,
      10_000,
      () => pool.stats(),
    );
    // size 2 + the one worker kept for other callers (each diagnostic is a caller of its own).
    const blockers = [0, 1, 2].map(() => pool.runDiagnostic({ kind: 'diagnostic', name: 'sleep', ms: 800 }));
    await waitFor(
      () => pool.stats().busy === 3,
      5000,
      () => pool.stats(),
    ); // replacement workers from earlier tests may still be starting
    const ac = new AbortController();
    const queued = pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 'never' }, { signal: ac.signal });
    const others = [0, 1].map(() => pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 'later' }));
    assert.equal(pool.stats().queued, 3);
    await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 'overflow' }), 'QUEUE_FULL');
    ac.abort();
    await rejectsWith(queued, 'CANCELLED');
    assert.equal(pool.stats().queued, 2);
    assert.deepEqual(await Promise.all(others), ['later', 'later']);
    await Promise.all(blockers);
  });

  it('rejects an already-aborted signal with CANCELLED', async () => {
    await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 1 }, { signal: AbortSignal.abort() }), 'CANCELLED');
  });

  describe('sandbox probes', { skip: !hasBwrap }, () => {
    let server: Server;
    let connections = 0;
    let port = 0;
    before(async () => {
      server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    after(() => server.close());

    it('gives the worker no network and no writes outside its private /tmp', async () => {
      const outside = join(process.cwd(), 'src', `.probe-${process.pid}`);
      const r = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', connectPort: port, writePath: outside })) as {
        connect: string;
        write: string;
      };
      assert.notEqual(r.connect, 'connected');
      assert.equal(connections, 0);
      assert.notEqual(r.write, 'written');
      assert.equal(existsSync(outside), false);
      const inTmp = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', writePath: '/tmp/inside' })) as { write: string };
      assert.equal(inTmp.write, 'written');
    });

    it(
      'lets the worker create nothing in its writable /results outbox (only the file the pool made for a job)',
      { skip: process.getuid?.() !== 0 ? 'the sandbox runs as a uid of its own only when the gateway is root' : false },
      async () => {
        const r = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', writePath: '/results/planted' })) as { write: string };
        assert.equal(r.write, 'EACCES');
      },
    );

    it('keeps /dev read-only (an uncapped tmpfs in bwrap), leaving /dev/shm writable but capped', async () => {
      const dev = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', writePath: '/dev/fmugw-probe' })) as { write: string };
      assert.equal(dev.write, 'EROFS');
      const shm = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', writePath: '/dev/shm/fmugw-probe' })) as { write: string };
      assert.equal(shm.write, 'written');
    });
  });
});

describe('worker pool capacity while workers start', () => {
  it('counts jobs waiting only for a starting worker as running, not queued: size + 1 + queueLength are accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-pool-'));
    const cold = createWorkerPool({ size: 2, queueLength: 1, cacheDir: dir, sandbox: 'off' });
    try {
      // Submitted at once, before any worker is ready: size (2) + one worker kept for other
      // callers (each diagnostic is a caller of its own) + queueLength (1).
      const accepted = [1, 2, 3, 4].map((v) => cold.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: v }));
      await rejectsWith(cold.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 5 }), 'QUEUE_FULL');
      assert.deepEqual(await Promise.all(accepted), [1, 2, 3, 4]);
    } finally {
      await cold.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('worker pool without a sandbox', () => {
  it('kills a worker stuck in a job when the gateway itself is SIGKILLed (parent-death signal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-pool-'));
    const parent = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/runner/spinning-parent.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '' },
    });
    try {
      const workerPid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        parent.once('exit', () => reject(new Error('parent exited early')));
      });
      await new Promise((r) => setTimeout(r, 200)); // the worker is spinning now
      assert.equal(isAlive(workerPid), true);
      parent.kill('SIGKILL');
      await waitFor(() => !isAlive(workerPid), 3000);
      assert.equal(isAlive(workerPid), false, 'the orphaned worker was killed');
    } finally {
      parent.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to start with sandbox 'required' when bubblewrap is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-pool-'));
    try {
      assert.throws(
        () =>
          createWorkerPool({
            size: 1,
            cacheDir: dir,
            sandbox: 'required',
            sandboxTools: { bwrap: '/nonexistent/bwrap', prlimit: '/usr/bin/prlimit' },
          }),
        (e: unknown) => code(e) === 'SANDBOX_UNAVAILABLE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs process-only with sandbox 'auto' when bubblewrap is missing, still enforcing limits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-pool-'));
    const pool = createWorkerPool({
      size: 1,
      cacheDir: dir,
      timeoutMs: 1500,
      sandbox: 'auto',
      sandboxTools: { bwrap: '/nonexistent/bwrap', prlimit: '/usr/bin/prlimit' },
    });
    try {
      assert.equal(pool.isolation.level, 'process-only');
      assert.ok(pool.isolation.missing.some((m) => m.includes('bwrap')));
      assert.equal(await pool.runDiagnostic({ kind: 'diagnostic', name: 'echo', value: 'ok' }), 'ok');
      await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'sleep', ms: 60_000 }), 'SIMULATION_TIMEOUT');
      const e = await rejectsWith(pool.runDiagnostic({ kind: 'diagnostic', name: 'crash', signal: 'SIGSEGV' }), 'FMU_CRASHED');
      assert.equal(e.data?.signal, 'SIGSEGV');
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
