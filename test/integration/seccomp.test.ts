/**
 * The workers' seccomp filter (src/fmi/seccomp.ts): denied syscalls fail with EPERM in a real
 * process, what a worker needs keeps working, and a pool without bubblewrap still gets it.
 */
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fmu-seccomp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('denies exec, IP sockets and connect after installation, and leaves files alone', async (t) => {
  if (process.platform !== 'linux') return t.skip('seccomp is Linux-only');
  const server = createServer((c) => c.destroy());
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    // Its own process: a filter cannot be removed once installed.
    const child = join(ROOT, 'test', 'fixtures', 'seccomp', 'child.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, join(dir, 'f.txt'), String(port)], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    const out = JSON.parse(r.stdout) as {
      install: { installed: boolean };
      exec: string;
      udp: string;
      file: string;
      connect: string;
      signalParent: string;
      signalAll: string;
      signalSelf: string;
    };
    assert.equal(out.install.installed, true, r.stderr);
    assert.equal(out.exec, 'EPERM');
    assert.equal(out.udp, 'EPERM');
    assert.equal(out.connect, 'EPERM');
    // An FMU may not signal the gateway (its parent when unsandboxed) nor, as root, every process.
    assert.equal(out.signalParent, 'EPERM');
    assert.equal(out.signalAll, 'EPERM');
    assert.equal(out.signalSelf, 'sent');
    assert.equal(out.file, 'still writable');
    assert.equal(connections, 0);
  } finally {
    server.close();
  }
});

test('denies namespace-creating and CLONE_PARENT clone, io_uring, userfaultfd, sendto with an address and sendmsg; threads still start', (t) => {
  if (process.platform !== 'linux') return t.skip('seccomp is Linux-only');
  const probe = (mode: string): Record<string, unknown> => {
    const child = join(ROOT, 'test', 'fixtures', 'hostile', 'seccomp-probe.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, mode], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    return JSON.parse(r.stdout || `{"stderr": ${JSON.stringify(r.stderr)}}`) as Record<string, unknown>;
  };
  const EINVAL = 22;
  const EFAULT = 14;
  const EPERM = 1;
  const ENOSYS = 38;
  // Unfiltered, the kernel itself rejects these crafted calls (EINVAL, EFAULT), so the errnos
  // seen with the filter are the filter's answers.
  const bare = probe('none');
  for (const k of ['clone_newuser', 'clone3', 'io_uring_setup', 'userfaultfd', 'clone_parent']) {
    assert.ok(bare[k] === EINVAL || bare[k] === EFAULT, `${k} unfiltered: ${JSON.stringify(bare)}`);
  }
  const EBADF = 9;
  for (const k of ['sendto_with_address', 'sendto_without_address', 'sendmsg']) assert.equal(bare[k], EBADF, `${k} unfiltered`);
  const filtered = probe('filter');
  assert.equal((filtered.install as { installed?: boolean }).installed, true, JSON.stringify(filtered));
  assert.equal(filtered.clone_newuser, EPERM);
  assert.equal(filtered.clone3, ENOSYS, 'ENOSYS, not EPERM: glibc falls back to clone only on ENOSYS');
  assert.equal(filtered.io_uring_setup, EPERM);
  assert.equal(filtered.userfaultfd, EPERM);
  assert.equal(filtered.thread, 'hi');
  // Siblings outside the worker's tree, and datagrams to an address (a host unix socket).
  assert.equal(filtered.clone_parent, EPERM);
  assert.equal(filtered.sendto_with_address, EPERM);
  assert.equal(filtered.sendto_without_address, EBADF, 'sendto on a connected socket stays allowed');
  assert.equal(filtered.sendmsg, EPERM);
});

test('a pool without bubblewrap still filters syscalls: no connection reaches a local listener', async () => {
  const server = createServer((c) => c.destroy());
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const pool = createWorkerPool({
    size: 1,
    cacheDir: dir,
    sandbox: 'auto',
    sandboxTools: { bwrap: '/nonexistent/bwrap', prlimit: '/usr/bin/prlimit' },
  });
  try {
    assert.equal(pool.isolation.level, 'process-only');
    const probe = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', connectPort: port })) as { connect?: string };
    assert.equal(probe.connect, 'EPERM');
    assert.ok(pool.isolation.features.includes('seccomp-filter'), pool.isolation.features.join(','));
    assert.equal(connections, 0);
  } finally {
    server.close();
    await pool.close();
  }
});
