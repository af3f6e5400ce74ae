/**
 * Hostile FMUs that attack the worker itself rather than the simulation (issue 9): forged
 * protocol frames on the channel, code injection into other processes of the sandbox through
 * /proc/<pid>/mem, datagrams to host sockets, memory the data limit does not see, inherited
 * descriptors, threads left running, and workers shared between callers. Through the real
 * sandboxed pool; each test asserts the attack's effect did not happen, not only the code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import { buildHelper, buildHostile, finalOf, hasBwrap, job, rejectsWith, ROOT, sleep } from '../fixtures/hostile/build.ts';

/**
 * Host sockets the attacks aim at: in build/runner, a project directory the sandbox binds
 * read-only at the same path (a read-only bind does not stop connect or sendto on a socket).
 */
const SOCKET_DIR = join(ROOT, 'build', 'runner');

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
    const names = ['control', 'channel-forgery', 'proc-mem', 'unix-datagram'];
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
});
