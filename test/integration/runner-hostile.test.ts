/**
 * Hostile FMUs (test/fixtures/hostile/*, compiled from C here) through the sandboxed worker pool:
 * each ends in a coded error within its limit, leaves no process or file behind, and the next
 * job on a well-behaved FMU still succeeds. A process-only pool shows the hostile behaviours are
 * real (they do connect / write without the sandbox), so the sandboxed assertions can fail.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import { isAlive, processTree } from '../../src/runner/proc-tree.ts';
import type { RunOptions, WorkerPool } from '../../src/runner/types.ts';
import { buildHostile, finalOf, hasBwrap, job, rejectsWith, ROOT, sleep } from '../fixtures/hostile/build.ts';

/** Where the constructor FMU tries to write at load time (compiled in): a host directory the sandbox cannot see. */
const CTOR_MARKER = join(ROOT, 'build', 'fixtures', 'runner-hostile-ctor-marker');

function orphans(): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // A killed process whose parent is gone stays a zombie until init reaps it: dead, not an orphan.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'fmugw-orphan' && state !== 'Z') found.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('hostile FMUs in the sandboxed pool', { skip: !hasBwrap }, () => {
  let pool: WorkerPool;
  let cacheDir: string;
  const fmus: Record<string, OpenedFmu> = {};
  let server: Server;
  let connections = 0;
  let port = 0;

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'runner-hostile-'));
    rmSync(CTOR_MARKER, { force: true });
    const names = [
      'control',
      'segfault',
      'infinite-loop',
      'malloc-bomb',
      'sleep-forever',
      'network',
      'write-outside',
      'fork',
      'log-flood',
      'ipc-garbage',
    ];
    const paths = await Promise.all([
      ...names.map((n) => buildHostile(n)),
      buildHostile('constructor', { cflags: [`-DMARKER_PATH="${CTOR_MARKER}"`] }),
      buildHostile('control', {
        mutateXml: (x) => x.replace(/<CoSimulation /, '<CoSimulation canBeInstantiatedOnlyOncePerProcess="true" '),
      }),
    ]);
    [...names, 'constructor', 'control-once'].forEach((n, i) => {
      fmus[n] = openFmu({ path: paths[i] as string }, { cacheDir });
    });
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    pool = createWorkerPool({ size: 2, timeoutMs: 2000, memoryMb: 384, maxLogBytes: 16 * 1024, cacheDir, reuseIdleMs: 3000 });
  });

  after(async () => {
    server.close();
    const pids = pool.stats().pids;
    await pool.close();
    for (const pid of pids) assert.equal(isAlive(pid), false);
    assert.deepEqual(orphans(), []);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const get = (n: string): OpenedFmu => fmus[n] as OpenedFmu;

  /** Every process under the test process belongs to a live worker; stage dirs only for live workers. */
  async function assertClean(): Promise<void> {
    await sleep(300);
    const live = new Set(pool.stats().pids.flatMap((p) => processTree(p)));
    const mine = processTree(process.pid).slice(1);
    assert.deepEqual(
      // Not ours to judge: compilers building fixtures, and tsx's esbuild service (a child of its loader thread).
      mine.filter((p) => !live.has(p) && isAlive(p) && !/^(cc|esbuild)/.test(readFileSync(`/proc/${p}/comm`, 'utf8'))),
      [],
    );
    const runnerDir = join(cacheDir, '.runner');
    const stages = readdirSync(runnerDir).flatMap((pool) => readdirSync(join(runnerDir, pool)));
    assert.ok(stages.length <= pool.stats().pids.length, `stale stage dirs: ${stages.join(',')}`);
  }

  async function assertControlWorks(): Promise<void> {
    const r = await pool.run(job(get('control'), { k: 2 }));
    // der(x) = -k x, x(0) = 1: x(1) = exp(-2); the adapter's fixed-step RK4 at h = 0.01 is good to 1e-8.
    assert.ok(Math.abs(finalOf(r, 'x') - Math.exp(-2)) < 1e-6, `x(1) = ${finalOf(r, 'x')}`);
  }

  it('runs a well-behaved FMU to the closed-form result', async () => {
    await assertControlWorks();
  });

  it('reports a segfault in doStep as FMU_CRASHED with the signal and the last output lines', async () => {
    const e = await rejectsWith(pool.run(job(get('segfault'))), 'FMU_CRASHED');
    assert.equal(e.data?.signal, 'SIGSEGV');
    assert.ok(
      (e.data?.last_log_lines as string[]).some((l) => l.includes('last words at t=0.5')),
      JSON.stringify(e.data),
    );
    // The FMU's own logger message (FMI callback) is streamed before the crash, not lost with it.
    assert.ok(
      (e.data?.last_log_lines as string[]).some((l) => l.includes('about to dereference NULL')),
      JSON.stringify(e.data),
    );
    await assertClean();
    await assertControlWorks();
  });

  it('stops an infinite loop at the wall-clock limit', async () => {
    const t0 = Date.now();
    await rejectsWith(pool.run(job(get('infinite-loop'))), 'SIMULATION_TIMEOUT');
    assert.ok(Date.now() - t0 < 6000);
    await assertClean();
    await assertControlWorks();
  });

  it('stops an FMU sleeping forever at the wall-clock limit', async () => {
    const t0 = Date.now();
    await rejectsWith(pool.run(job(get('sleep-forever'))), 'SIMULATION_TIMEOUT');
    assert.ok(Date.now() - t0 < 6000);
    await assertClean();
    await assertControlWorks();
  });

  it('reports unbounded malloc as SIMULATION_OUT_OF_MEMORY', async () => {
    const e = await rejectsWith(pool.run(job(get('malloc-bomb'))), 'SIMULATION_OUT_OF_MEMORY');
    assert.equal(e.data?.memory_limit_mb, 384);
    await assertClean();
    await assertControlWorks();
  });

  it('gives the FMU no network: the connection fails and the listener sees nothing', async () => {
    const r = await pool.run(job(get('network'), { port }));
    assert.ok(finalOf(r, 'connected') < 0, `connected = ${finalOf(r, 'connected')}`);
    assert.equal(connections, 0);
  });

  it('blocks writes outside the private /tmp, and keeps /tmp writes inside the sandbox', async () => {
    const outside = join(ROOT, 'src', `.hostile-write-${process.pid}`);
    const r1 = await pool.run(job(get('write-outside'), { path: outside }));
    assert.ok(finalOf(r1, 'written') < 0);
    assert.equal(existsSync(outside), false);
    const inTmp = join(tmpdir(), `fmugw-hostile-write-${process.pid}`);
    const r2 = await pool.run(job(get('write-outside'), { path: inTmp }));
    assert.equal(finalOf(r2, 'written'), 1, 'the private /tmp is writable');
    assert.equal(existsSync(inTmp), false, 'but it is not the host /tmp');
  });

  it('runs a library constructor inside the sandbox: its write at load time fails', async () => {
    const r = await pool.run(job(get('constructor')));
    assert.equal(finalOf(r, 'ran'), 0);
    assert.equal(existsSync(CTOR_MARKER), false);
  });

  it('kills children forked by the FMU when the job ends, and does not reuse that worker', async () => {
    const pids: number[] = [];
    const onDispatch: RunOptions['onDispatch'] = (i) => void pids.push(i.workerPid);
    const r = await pool.run(job(get('fork'), { children: 3 }), { onDispatch, callerId: 'forker' });
    assert.equal(finalOf(r, 'forked'), 3);
    await sleep(300);
    assert.deepEqual(orphans(), []);
    assert.equal(isAlive(pids[0] as number), false);
    await pool.run(job(get('fork'), { children: 0 }), { onDispatch, callerId: 'forker' });
    assert.notEqual(pids[1], pids[0]);
    await assertClean();
  });

  it('survives an FMU that writes garbage into the worker channel and floods stdout: FMU_CRASHED, the gateway keeps running', async () => {
    // With Node's built-in IPC this threw an uncaught exception in the gateway process itself.
    const e = await rejectsWith(pool.run(job(get('ipc-garbage'))), 'FMU_CRASHED');
    assert.match(e.message, /channel/);
    await assertClean();
    await assertControlWorks();
  });

  it('caps a flood of log messages and stays responsive', async () => {
    const t0 = Date.now();
    const r = await pool.run(job(get('log-flood'), {}, 0.2));
    const bytes = r.log.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    assert.ok(bytes <= 16 * 1024 + 200, `log of ${bytes} bytes`);
    assert.ok(Date.now() - t0 < 5000);
    await assertControlWorks();
  });

  describe('worker reuse', () => {
    const runOn = async (fmu: OpenedFmu, callerId: string): Promise<{ pid: number; reused: boolean }> => {
      let info = { workerPid: -1, reused: false };
      await pool.run(job(fmu), { callerId, onDispatch: (i) => void (info = i) });
      return { pid: info.workerPid, reused: info.reused };
    };

    it('reuses the worker for the same FMU and caller', async () => {
      const a = await runOn(get('control'), 'alice');
      const b = await runOn(get('control'), 'alice');
      assert.equal(b.pid, a.pid);
      assert.equal(b.reused, true);
    });

    it('never gives a worker to another caller or another FMU', async () => {
      const a = await runOn(get('control'), 'alice');
      const b = await runOn(get('control'), 'bob');
      const c = await runOn(get('network'), 'alice');
      assert.notEqual(b.pid, a.pid);
      assert.notEqual(c.pid, a.pid);
      assert.equal(b.reused, false);
      assert.equal(c.reused, false);
    });

    it('does not reuse a worker when the FMU can be instantiated only once per process', async () => {
      const a = await runOn(get('control-once'), 'carol');
      const b = await runOn(get('control-once'), 'carol');
      assert.notEqual(b.pid, a.pid);
    });

    it('parses the model description inside the worker when the job does not carry it', async () => {
      const fmu = get('control');
      const r = await pool.run({
        fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir },
        options: { startTime: 0, stopTime: 1, outputInterval: 0.1 },
      });
      assert.ok(Math.abs(finalOf(r, 'x') - Math.exp(-1)) < 1e-6);
    });
  });
});

describe('hostile FMUs without the sandbox (proof the hostile behaviours are real)', () => {
  it('kills double-forked, session-leaving children even without the sandbox (the worker is their subreaper)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'runner-hostile-off-'));
    const pool = createWorkerPool({ size: 1, timeoutMs: 5000, cacheDir, sandbox: 'off' });
    try {
      const fork = openFmu({ path: await buildHostile('fork') }, { cacheDir });
      const r = await pool.run(job(fork, { children: 3 }));
      assert.equal(finalOf(r, 'forked'), 3);
      await sleep(300);
      assert.deepEqual(orphans(), []);
    } finally {
      for (const pid of orphans()) process.kill(pid, 'SIGKILL');
      await pool.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('connects and writes at load time when only process isolation is used', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'runner-hostile-off-'));
    const server = createServer((s) => s.destroy());
    let connections = 0;
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    rmSync(CTOR_MARKER, { force: true });
    const pool = createWorkerPool({ size: 1, timeoutMs: 5000, cacheDir, sandbox: 'off' });
    try {
      const net = openFmu({ path: await buildHostile('network') }, { cacheDir });
      const r = await pool.run(job(net, { port }));
      assert.equal(finalOf(r, 'connected'), 1);
      // The child's connect() returns before this process's accept event runs: wait for it (bounded).
      for (let i = 0; i < 100 && connections === 0; i++) await new Promise((res) => setTimeout(res, 20));
      assert.equal(connections, 1);
      const ctor = openFmu({ path: await buildHostile('constructor', { cflags: [`-DMARKER_PATH="${CTOR_MARKER}"`] }) }, { cacheDir });
      const r2 = await pool.run(job(ctor));
      assert.equal(finalOf(r2, 'ran'), 1);
      assert.equal(existsSync(CTOR_MARKER), true);
    } finally {
      if (existsSync(CTOR_MARKER)) unlinkSync(CTOR_MARKER);
      server.close();
      await pool.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
