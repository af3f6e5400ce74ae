/**
 * Every machine prerequisite of the suite in one place. Under `CI=true` each missing one FAILS
 * this file (so a green CI run never hides suites that skipped themselves); elsewhere each is
 * reported as a skipped test with the reason, and the suites that need it skip with a note.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cvodeAvailable } from '../../src/engine/solvers/cvode.ts';
import { findCCompiler } from '../../tools/fmu-builder.ts';
import { postgresMissing, redisMissing } from '../helpers/db-servers.ts';
import { inCi } from '../helpers/prereq.ts';

const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

const CHECKS: { name: string; missing: () => string | undefined }[] = [
  {
    name: 'bubblewrap',
    missing: () => (['/usr/bin/bwrap', '/bin/bwrap'].some((p) => existsSync(p)) ? undefined : 'bwrap is not installed (Debian bubblewrap)'),
  },
  {
    name: 'root',
    missing: () => (process.getuid?.() === 0 ? undefined : 'the suite is not running as root (the sandbox uid and tmpfs tests need it)'),
  },
  { name: 'C compiler', missing: () => (findCCompiler() !== undefined ? undefined : 'no cc/gcc/clang on PATH') },
  { name: 'PostgreSQL', missing: () => postgresMissing() },
  { name: 'Redis', missing: () => redisMissing() },
  {
    name: 'SUNDIALS CVODE',
    missing: () => (cvodeAvailable() ? undefined : 'libsundials_cvode.so.6 not found (Debian libsundials-cvode6)'),
  },
  {
    name: 'nginx',
    missing: () => (runs('nginx', ['-v']) || existsSync('/usr/sbin/nginx') ? undefined : 'nginx is not installed (Debian nginx)'),
  },
  {
    name: 'chromium',
    missing: () => (existsSync('/usr/bin/chromium') ? undefined : '/usr/bin/chromium is not installed (Debian chromium)'),
  },
  {
    // An independent reader of the MAT exports (test/integration/result-formats.test.ts).
    name: 'python3-scipy',
    missing: () =>
      runs('/usr/bin/python3', ['-c', 'import scipy.io']) ? undefined : 'no SciPy for /usr/bin/python3 (Debian python3-scipy)',
  },
  {
    // Runs the Python client's tests (test/e2e/python-client.test.ts); the client needs Python >= 3.9.
    name: 'python3',
    missing: () =>
      runs(process.env['PYTHON'] ?? 'python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'])
        ? undefined
        : 'no python3 >= 3.9 on PATH (Debian python3)',
  },
  {
    name: 'mypy',
    missing: () =>
      runs('/usr/bin/python3', ['-m', 'mypy', '--version']) ? undefined : 'no mypy for /usr/bin/python3 (Debian python3-mypy)',
  },
  {
    name: 'pip (offline build: setuptools, wheel)',
    missing: () =>
      runs('/usr/bin/python3', ['-c', 'import setuptools, wheel, pip'])
        ? undefined
        : 'pip / setuptools / wheel missing for /usr/bin/python3 (Debian python3-pip python3-setuptools python3-wheel)',
  },
  {
    // Watches the run store's flushes from outside (test/integration/store/durable-save-syscalls.test.ts).
    name: 'strace',
    missing: () => (runs('strace', ['-V']) ? undefined : 'strace is not installed (Debian strace)'),
  },
];

describe('machine prerequisites of the test suite', () => {
  for (const c of CHECKS) {
    const why = c.missing();
    it(`${c.name} is present`, { skip: why !== undefined && !inCi() ? why : false }, () => {
      assert.equal(why, undefined, `CI=true and ${c.name} is missing: ${why ?? ''}; install it with .ci/install-system-deps.sh`);
    });
  }
});
