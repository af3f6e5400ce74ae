/**
 * Many callers on one pool, with real worker processes and a real compiled FMU: a caller flooding
 * the pool does not starve another; no worker process ever runs jobs of two callers; callers that
 * come back find their warm worker; a removed worker directory is recreated and the pool serves on.
 */
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { RunOptions, SimulationJob, WorkerPool } from '../../src/runner/types.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('fair, isolated scheduling across callers', { timeout: 180_000 }, () => {
  let dir: string;
  let job: SimulationJob;
  let pool: WorkerPool;
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-fair-'));
    // Traversable, so the pool keeps its directories under cache/.runner (as under a server's data dir).
    chmodSync(dir, 0o755);
    const fmuPath = join(dir, 'decay.fmu');
    await buildFmu({ modelDir: join(ROOT, 'test', 'fixtures', 'hostile', 'control'), fmiVersion: '3.0', outFile: fmuPath });
    const fmu = openFmu({ path: fmuPath }, { cacheDir: join(dir, 'cache') });
    job = {
      fmu: { sha256: fmu.sha256, unpackedDir: fmu.unpackedDir, modelDescription: fmu.modelDescription },
      // Long enough that a job is not over before the next is queued (~20k steps).
      options: { startTime: 0, stopTime: 20, outputInterval: 0.001, interface: 'CS' },
    };
    pool = createWorkerPool({
      size: 2,
      timeoutMs: 30_000,
      cacheDir: join(dir, 'cache'),
      reuseIdleMs: 30_000,
      log: (m) => void logs.push(m),
    });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (caller: string, order: string[], pids?: Map<string, Set<number>>): Promise<unknown> => {
    const opts: RunOptions = {
      callerId: caller,
      onDispatch: ({ workerPid }) => {
        if (pids === undefined) return;
        const set = pids.get(caller) ?? new Set<number>();
        set.add(workerPid);
        pids.set(caller, set);
      },
    };
    return pool.run(job, opts).then(() => void order.push(caller));
  };

  it('serves a second caller while the first floods the pool (the flood cannot hold every worker)', async () => {
    const order: string[] = [];
    const flood = Array.from({ length: 16 }, () => run('A', order));
    // B arrives once A's backlog is queued.
    await new Promise((r) => setImmediate(r));
    assert.ok(pool.stats().queued >= 14, `A's backlog is queued (${pool.stats().queued})`);
    const b = Array.from({ length: 3 }, () => run('B', order));
    await Promise.all([...flood, ...b]);
    assert.equal(order.filter((c) => c === 'A').length, 16);
    const lastB = order.lastIndexOf('B');
    // FIFO would put B after all 16 of A; taking turns puts B's 3 jobs among A's first few.
    assert.ok(
      lastB < 9,
      `B's jobs finished at positions ${order.map((c, i) => (c === 'B' ? i : -1)).filter((i) => i >= 0)} of ${order.length}`,
    );
  });

  it('never runs jobs of two callers in one worker process, and reuses a caller’s own worker', async () => {
    const order: string[] = [];
    const pids = new Map<string, Set<number>>();
    const callers = ['k1', 'k2', 'k3', 'k4'];
    const all: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) for (const c of callers) all.push(run(c, order, pids));
    await Promise.all(all);
    assert.equal(order.length, 16);
    const seen = new Map<number, string>();
    for (const [caller, set] of pids) {
      for (const pid of set) {
        assert.equal(seen.get(pid) ?? caller, caller, `worker ${pid} ran jobs of ${seen.get(pid)} and ${caller}`);
        seen.set(pid, caller);
      }
    }
    // Positive control: the detector saw every caller, and reuse happened (fewer workers than jobs).
    assert.equal(pids.size, 4);
    const workersUsed = [...pids.values()].reduce((n, s) => n + s.size, 0);
    assert.ok(workersUsed < 16, `a caller's next job reuses its warm worker (${workersUsed} workers for 16 jobs)`);
    // The same caller coming back finds its lingering worker (no cold start).
    const again = new Map<string, Set<number>>();
    await run('k1', [], again);
    const pid = [...(again.get('k1') ?? [])][0] as number;
    assert.ok(pids.get('k1')?.has(pid), `k1's next job ran on one of its own workers (${pid})`);
  });

  it('keeps spare workers warm for new callers', async () => {
    const deadline = Date.now() + 15_000;
    while (pool.stats().spare < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.stats().spare, 2, JSON.stringify(pool.stats()));
    let reused: boolean | undefined;
    let startedAt = 0;
    const t0 = Date.now();
    await pool.run(job, {
      callerId: 'newcomer',
      onDispatch: (d) => {
        reused = d.reused;
        startedAt = Date.now();
      },
    });
    assert.equal(reused, false, 'a fresh worker');
    // A warm spare takes the job at once: it reaches a worker long before a cold start (~100+ ms) could.
    assert.ok(startedAt - t0 < 50, `dispatched after ${startedAt - t0} ms`);
  });

  it('recreates its worker directories when they are removed, and serves on', async () => {
    const incoming = join(dir, 'cache', '.runner', '.incoming');
    const stage = join(dir, 'cache', '.runner');
    assert.ok(existsSync(incoming));
    // Everything the pool keeps on disk goes: result outboxes and staged FMUs of every worker.
    for (const n of readdirSync(stage)) rmSync(join(stage, n), { recursive: true, force: true });
    assert.equal(existsSync(incoming), false);
    const order: string[] = [];
    await Promise.all(['A', 'B', 'C', 'A', 'B', 'C'].map((c) => run(c, order)));
    assert.equal(order.length, 6);
    assert.ok(existsSync(incoming), 'the outbox root is back');
    assert.ok(
      logs.some((l) => /removed/.test(l)),
      `the pool said what happened: ${logs.join(' | ')}`,
    );
  });
});
