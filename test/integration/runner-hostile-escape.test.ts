/**
 * Hostile FMUs that attack the worker itself rather than the simulation (issue 9): forged
 * protocol frames on the channel, code injection into other processes of the sandbox through
 * /proc/<pid>/mem, datagrams to host sockets, memory the data limit does not see, inherited
 * descriptors, threads left running, and workers shared between callers. Through the real
 * sandboxed pool; each test asserts the attack's effect did not happen, not only the code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
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
import { buildHelper, buildHostile, FIXTURES, finalOf, hasBwrap, job, rejectsWith, ROOT, sleep } from '../fixtures/hostile/build.ts';

/**
 * Host sockets the attacks aim at: in build/runner, a project directory the sandbox binds
 * read-only at the same path (a read-only bind does not stop connect or sendto on a socket).
 */
const SOCKET_DIR = join(ROOT, 'build', 'runner');

/** Resident anonymous + shared memory of every process of the pool's workers, measured here independently of the pool. */
function workersResident(pool: WorkerPool): number {
  let bytes = 0;
  for (const pid of pool.stats().pids.flatMap((p) => processTree(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      for (const key of ['RssAnon', 'RssShmem']) bytes += Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return bytes;
}

/** Runs p while sampling the workers' memory every 5 ms; the peak seen, in MiB. */
async function peakWhile<T>(pool: WorkerPool, p: Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; peakMb: number }> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, workersResident(pool))), 5);
  const [outcome] = await Promise.allSettled([p]);
  clearInterval(timer);
  return { outcome: outcome as PromiseSettledResult<T>, peakMb: peak / 1048576 };
}

/** A unix stream listener on the host that anyone may connect to (like /dev/log), recording what reaches it. */
async function streamListener(path: string): Promise<{ server: Server; received: string[] }> {
  const received: string[] = [];
  rmSync(path, { force: true });
  const server = createServer((s) => {
    received.push('(connection)');
    s.on('data', (d: Buffer) => received.push(d.toString()));
  });
  await new Promise<void>((r) => server.listen(path, r));
  // The sandbox runs as another uid: only the sandbox, not file permissions, may stand in the way.
  chmodSync(path, 0o777);
  return { server, received };
}

/** A unix datagram receiver on the host (compiled helper): the datagrams it got. */
async function datagramReceiver(path: string): Promise<{ child: ChildProcess; received: string[] }> {
  const received: string[] = [];
  const child = spawn(buildHelper('dgram-receiver'), [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`dgram-receiver exited with ${c}`)));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      for (const line of d.split('\n')) {
        if (line === 'ready') resolve();
        else if (line !== '') received.push(line);
      }
    });
  });
  return { child, received };
}

describe('FMUs attacking their worker, in the sandboxed pool', { skip: !hasBwrap }, () => {
  let pool: WorkerPool;
  let cacheDir: string;
  const fmus: Record<string, OpenedFmu> = {};
  const get = (n: string): OpenedFmu => fmus[n] as OpenedFmu;

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'runner-escape-'));
    const names = [
      'control',
      'channel-forgery',
      'proc-mem',
      'unix-datagram',
      'memory-kinds',
      'raise-sigkill',
      'thread-leak',
      'inherited-fd',
    ];
    const paths = await Promise.all(names.map((n) => buildHostile(n)));
    names.forEach((n, i) => (fmus[n] = openFmu({ path: paths[i] as string }, { cacheDir })));
    mkdirSync(SOCKET_DIR, { recursive: true });
    pool = createWorkerPool({ size: 2, timeoutMs: 5000, memoryMb: 384, cacheDir, reuseIdleMs: 3000 });
  });

  after(async () => {
    await pool.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function assertControlWorks(): Promise<void> {
    const r = await pool.run(job(get('control'), { k: 2 }));
    assert.ok(Math.abs(finalOf(r, 'x') - Math.exp(-2)) < 1e-6, `x(1) = ${finalOf(r, 'x')}`);
  }

  for (const [variant, what] of [
    [1, "{type:'error', error:null}"],
    [2, "{type:'log', line:null}"],
    [3, 'an error claiming PAYMENT_REQUIRED with a checkout URL'],
  ] as const) {
    it(`kills a worker whose FMU forges thousands of well-framed ${what} messages: FMU_CRASHED, nothing else`, async () => {
      const e = await rejectsWith(pool.run(job(get('channel-forgery'), { variant, count: 5000 })), 'FMU_CRASHED');
      assert.match(e.message, /channel/);
      assert.doesNotMatch(JSON.stringify(e), /evil\.example/);
      await assertControlWorks();
    });
  }

  it('leaves no other process in the sandbox to inject code into through /proc/<pid>/mem', async () => {
    const path = join(SOCKET_DIR, `inject-${process.pid}.sock`);
    const { server, received } = await streamListener(path);
    try {
      const r = await pool.run(job(get('proc-mem'), { path }));
      // With bubblewrap's reaper as pid 1 (before --as-pid-1) this FMU wrote its code there and
      // the host socket received "injected\n". Now there is nothing else to write into: pid 1 is
      // the FMU's own (filtered) process, and the worker is non-dumpable, so not even its own
      // /proc/self/mem nor a forked child's opens.
      assert.ok(finalOf(r, 'self_mem') < 0, `self_mem ${finalOf(r, 'self_mem')}`);
      assert.equal(finalOf(r, 'pid'), 1, "the FMU's process is the sandbox's pid 1: no unfiltered reaper beside it");
      assert.equal(finalOf(r, 'injected'), 0);
      assert.ok(finalOf(r, 'child_mem') < 0, `a forked child's memory was writable (${finalOf(r, 'child_mem')})`);
      await sleep(500);
      assert.deepEqual(received, [], 'injected code reached the host socket');
    } finally {
      server.close();
      rmSync(path, { force: true });
    }
    await assertControlWorks();
  });

  it('denies datagrams with a destination and stream connects to host unix sockets visible in the sandbox', async () => {
    const dgramPath = join(SOCKET_DIR, `dgram-${process.pid}.sock`);
    const streamPath = join(SOCKET_DIR, `stream-${process.pid}.sock`);
    const dgram = await datagramReceiver(dgramPath);
    const stream = await streamListener(streamPath);
    try {
      const r = await pool.run(job(get('unix-datagram'), { path: dgramPath, stream_path: streamPath }));
      assert.ok(finalOf(r, 'sendto') < 0, `sendto: ${finalOf(r, 'sendto')}`);
      assert.ok(finalOf(r, 'sendmsg') < 0, `sendmsg: ${finalOf(r, 'sendmsg')}`);
      assert.ok(finalOf(r, 'stream') < 0, `connect: ${finalOf(r, 'stream')}`);
      await sleep(300);
      assert.deepEqual(dgram.received, []);
      assert.deepEqual(stream.received, []);
    } finally {
      dgram.child.kill('SIGKILL');
      stream.server.close();
      rmSync(dgramPath, { force: true });
      rmSync(streamPath, { force: true });
    }
  });

  describe('memory the data limit does not see', () => {
    const LIMIT_MB = 384;
    // What a sample may overshoot: one 64 MiB chunk plus what is touched between two 10 ms checks.
    const SLACK_MB = 160;
    for (const mechanism of ['auto', 'rlimit-as'] as const) {
      for (const [variant, what] of [
        [1, 'MAP_SHARED|MAP_ANONYMOUS'],
        [2, 'MAP_GROWSDOWN'],
      ] as const) {
        it(`stops ${what} mappings at the limit (${mechanism === 'auto' ? 'memory cgroup' : 'RLIMIT_AS + sampling'})`, async () => {
          const p = createWorkerPool({ size: 1, timeoutMs: 10_000, memoryMb: LIMIT_MB, cacheDir, memoryLimit: mechanism });
          try {
            if (mechanism === 'auto')
              assert.match(p.isolation.memory?.mechanism ?? '', /^cgroup-v[12]$/, JSON.stringify(p.isolation.memory));
            else assert.equal(p.isolation.memory?.mechanism, 'rlimit-as');
            const { outcome, peakMb } = await peakWhile(p, p.run(job(get('memory-kinds'), { variant, chunk_mb: 64 }, 10)));
            assert.equal(outcome.status, 'rejected', 'the job ran to the end: the mappings were never stopped');
            const e = (outcome as PromiseRejectedResult).reason as { code: string; data?: Record<string, unknown> };
            assert.equal(e.code, 'SIMULATION_OUT_OF_MEMORY', JSON.stringify(e));
            assert.equal(e.data?.memory_limit_mb, LIMIT_MB);
            assert.ok(peakMb <= LIMIT_MB + SLACK_MB, `the workers held ${peakMb.toFixed(0)} MiB against a limit of ${LIMIT_MB} MiB`);
            const r = await p.run(job(get('control'), { k: 2 }));
            assert.ok(Math.abs(finalOf(r, 'x') - Math.exp(-2)) < 1e-6);
          } finally {
            await p.close();
          }
        });
      }
    }

    it('does not call a worker that killed itself with SIGKILL out of memory', async () => {
      // Unsandboxed the SIGKILL ends the worker; it is FMU_CRASHED, not the OOM killer's doing.
      const off = createWorkerPool({ size: 1, timeoutMs: 5000, cacheDir, sandbox: 'off' });
      try {
        const e = await rejectsWith(off.run(job(get('raise-sigkill'))), 'FMU_CRASHED');
        assert.equal(e.data?.signal, 'SIGKILL');
      } finally {
        await off.close();
      }
      // In the sandbox the worker is pid 1: the kernel drops its own SIGKILL and the run goes on.
      const r = await pool.run(job(get('raise-sigkill')));
      assert.equal(finalOf(r, 'alive'), 1);
    });
  });

  describe('nothing leaks between jobs or from the parent', () => {
    it('gives the FMU no descriptor the gateway inherited: a file open on fd 100 of the server stays empty', async () => {
      // The "server" is its own process, started with a file on descriptor 100 that is not
      // close-on-exec (as a shell redirection or a supervisor leaves it), running the real pool.
      const leak = join(cacheDir, 'inherited.log');
      const fd = openSync(leak, 'a');
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(97).fill('ignore'), fd];
      const server = join(FIXTURES, 'inherited-fd-server.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', server, await buildHostile('inherited-fd'), cacheDir], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio,
      });
      closeSync(fd);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise((resolve) => child.once('close', resolve));
      const r = { stdout, stderr };
      const out = JSON.parse(r.stdout || '{}') as { open_fds?: number; written?: number; isolation?: string };
      assert.equal(out.isolation, 'sandboxed', r.stderr);
      assert.equal(out.written, 0, `the FMU wrote into ${out.written} descriptors`);
      assert.equal(readFileSync(leak, 'utf8'), '', "the inherited file received the FMU's text");
    });

    it('retires a worker whose FMU left a thread running after freeInstance', async () => {
      const pids: number[] = [];
      const onDispatch: RunOptions['onDispatch'] = (i) => void pids.push(i.workerPid);
      const first = await pool.run(job(get('thread-leak')), { callerId: 'ghost', onDispatch });
      assert.equal(finalOf(first, 'started'), 1);
      const second = await pool.run(job(get('thread-leak')), { callerId: 'ghost', onDispatch });
      assert.notEqual(pids[1], pids[0], 'the worker with the ghost thread was reused');
      assert.equal(finalOf(second, 'ticks_at_init'), 0, "the second run saw the first run's thread");
      await sleep(300);
      assert.equal(isAlive(pids[0] as number), false);
    });

    it('reuses a worker only for the same caller: anonymous, keyed and look-alike callers never share', async () => {
      const runAs = async (callerId: string | undefined): Promise<{ pid: number; reused: boolean }> => {
        let info = { workerPid: -1, reused: false };
        const opts: RunOptions = { onDispatch: (i) => void (info = i) };
        if (callerId !== undefined) opts.callerId = callerId;
        await pool.run(job(get('control')), opts);
        return { pid: info.workerPid, reused: info.reused };
      };
      const anon1 = await runAs(undefined);
      const anon2 = await runAs(undefined);
      assert.equal(anon2.pid, anon1.pid, 'anonymous runs of one FMU share their worker (sweeps)');
      assert.equal(anon2.reused, true);
      for (const other of ['anonymous', '', 'null', 'key-alice']) {
        const r = await runAs(other);
        assert.equal(r.reused, false, `caller ${JSON.stringify(other)} got a worker used before`);
        assert.notEqual(r.pid, anon1.pid, `caller ${JSON.stringify(other)} shared the anonymous worker`);
      }
      const alice = await runAs('key-alice');
      const bob = await runAs('key-bob');
      assert.notEqual(bob.pid, alice.pid);
      assert.equal(bob.reused, false);
    });
  });
});
