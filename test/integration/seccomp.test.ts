/**
 * The workers' seccomp filter (src/fmi/seccomp.ts): denied syscalls fail with EPERM in a real
 * process, what a worker needs keeps working, and a pool without bubblewrap still gets it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
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
    const out = JSON.parse(r.stdout) as { install: { installed: boolean }; exec: string; udp: string; file: string; connect: string };
    assert.equal(out.install.installed, true, r.stderr);
    assert.equal(out.exec, 'EPERM');
    assert.equal(out.udp, 'EPERM');
    assert.equal(out.connect, 'EPERM');
    assert.equal(out.file, 'still writable');
    assert.equal(connections, 0);
  } finally {
    server.close();
  }
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
