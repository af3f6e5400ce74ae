/**
 * Our Python client (clients/python, package fmu_gateway, standard library only) against real
 * `serve`s: one with payments off, one with payments on and the Stripe SDK pointed at the stand-in.
 * The Python tests (unittest, clients/python/tests) get the URLs in the environment, and a "paying
 * human" here: POST /pay/<session_id> completes the checkout at the stand-in and delivers Stripe's
 * signed webhook to the paid gateway. The run must pass AND run exactly the expected number of
 * tests (a silently empty or skipped run fails). Type sanity: py_compile on the interpreter the
 * tests use, mypy --strict (Debian python3-mypy) on the package.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildUploadFixture, ROOT, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const PY_DIR = join(ROOT, 'clients', 'python');
const PYTHON = process.env['PYTHON'] ?? 'python3';
const pythonMissing = spawnSync(PYTHON, ['--version']).status === 0 ? undefined : `${PYTHON} is not installed`;
const mypyMissing =
  spawnSync('/usr/bin/python3', ['-m', 'mypy', '--version']).status === 0 ? undefined : 'mypy is not installed (Debian python3-mypy)';
/** `pip install clients/python` offline needs pip, setuptools and wheel (Debian python3-pip, python3-wheel). */
const pipMissing =
  spawnSync('/usr/bin/python3', ['-c', 'import setuptools, wheel, pip']).status === 0
    ? undefined
    : 'pip / setuptools / wheel missing for /usr/bin/python3 (Debian python3-pip python3-wheel)';

/** Test cases in clients/python/tests (every one runs: none may skip). */
const EXPECTED_TESTS = 44;

interface UnittestRun {
  code: number | null;
  out: string;
}

function runPython(args: string[], env: Record<string, string>): Promise<UnittestRun> {
  const child = spawn(PYTHON, args, { cwd: PY_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe(
  'the Python client (clients/python) against real gateways',
  { timeout: 600_000, skip: prerequisite('python3', pythonMissing) },
  () => {
    let free: HttpGateway;
    let paid: HttpGateway;
    let stripe: StripeStandin;
    let payer: Server;
    let payerUrl = '';
    const payments: { session: string; status: number }[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-pyclient-'));

    before(async () => {
      stripe = await startStripeStandin();
      free = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000', FMU_GATEWAY_QUEUE_PER_KEY: '1' });
      paid = await startHttpGateway([], {
        KEY_CREATION_PER_HOUR: '1000',
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
      });
      const paidBase = paid.url.replace(/\/mcp$/, '');
      // The paying human: completes the session at the stand-in, then Stripe's signed webhook.
      payer = createServer((req, res) => {
        const m = /^\/pay\/([A-Za-z0-9_]+)$/.exec(req.url ?? '');
        const answer = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || m?.[1] === undefined) return answer(404, { error: 'POST /pay/<session_id>' });
        const session = m[1];
        if (!stripe.sessions.has(session)) return answer(404, { error: `no session ${session} at the stand-in` });
        stripe
          .sendEvent(`${paidBase}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(session))
          .then((r) => {
            payments.push({ session, status: r.status });
            answer(200, { status: r.status, body: r.body });
          })
          .catch((e: unknown) => answer(500, { error: String(e) }));
      });
      await new Promise<void>((resolve) => payer.listen(0, '127.0.0.1', resolve));
      payerUrl = `http://127.0.0.1:${(payer.address() as AddressInfo).port}`;
    });

    after(async () => {
      await free?.close();
      await paid?.close();
      await stripe?.close();
      await new Promise<void>((resolve) => (payer === undefined ? resolve() : payer.close(() => resolve())));
      rmSync(dir, { recursive: true, force: true });
    });

    it('compiles on the interpreter the tests use (py_compile)', async () => {
      // Byte-compiled into the temporary folder: the checkout stays clean.
      const script =
        'import glob, os, py_compile, sys\n' +
        'files = sorted(glob.glob("fmu_gateway/*.py") + glob.glob("tests/*.py"))\n' +
        'for i, f in enumerate(files):\n' +
        '    py_compile.compile(f, cfile=os.path.join(sys.argv[1], f"{i}.pyc"), doraise=True)\n' +
        'print(len(files))\n';
      const r = await runPython(['-c', script, dir], {});
      assert.equal(r.code, 0, r.out);
      assert.ok(Number(r.out.trim()) >= 10, r.out);
    });

    it('type-checks with mypy --strict', { skip: prerequisite('mypy', mypyMissing) }, async () => {
      const r = spawnSync(
        '/usr/bin/python3',
        ['-m', 'mypy', '--strict', '--python-version', '3.9', '--cache-dir', join(dir, 'mypy-cache'), 'fmu_gateway'],
        {
          cwd: PY_DIR,
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /Success: no issues found/);
    });

    it(
      'installs with pip (offline, from a copy of clients/python) and works from the installed copy',
      { skip: prerequisite('pip', pipMissing) },
      async () => {
        const src = join(dir, 'src');
        cpSync(PY_DIR, src, { recursive: true, filter: (p) => !/(__pycache__|\.egg-info|[/\\]build)$/.test(p) });
        const target = join(dir, 'site');
        const pip = spawnSync(
          '/usr/bin/python3',
          [
            '-m',
            'pip',
            'install',
            '--no-build-isolation',
            '--no-index',
            '--no-deps',
            '--disable-pip-version-check',
            '--target',
            target,
            src,
          ],
          { cwd: dir, encoding: 'utf8' },
        );
        assert.equal(pip.status, 0, `${pip.stdout}\n${pip.stderr}`);
        assert.ok(existsSync(join(target, 'fmu_gateway', 'py.typed')), 'py.typed is installed (PEP 561)');
        const probe = spawnSync(
          '/usr/bin/python3',
          [
            '-c',
            'import sys, fmu_gateway as g; print(g.__file__); print(g.__version__); print([m.id for m in g.Client(sys.argv[1], key=g.Client(sys.argv[1]).create_key()).library(query="Dahlquist")])',
            free.url.replace(/\/mcp$/, ''),
          ],
          { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONPATH: target, PYTHONDONTWRITEBYTECODE: '1' } },
        );
        assert.equal(probe.status, 0, probe.stderr);
        const [file, version, ids] = probe.stdout.trim().split('\n');
        assert.equal(file, join(target, 'fmu_gateway', '__init__.py'), 'imported the installed copy');
        assert.equal(version, '0.1.0');
        assert.match(ids ?? '', /'msl:Dahlquist'/);
      },
    );

    it('passes its unittest suite against the free and the paid gateway, every test run', async () => {
      const fmu = await buildUploadFixture(dir);
      const r = await runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
        FMU_GATEWAY_TEST_URL: free.url.replace(/\/mcp$/, ''),
        FMU_GATEWAY_TEST_PAID_URL: paid.url.replace(/\/mcp$/, ''),
        FMU_GATEWAY_TEST_PAYER_URL: payerUrl,
        FMU_GATEWAY_TEST_FMU: fmu,
        FMU_GATEWAY_TEST_CREDITS: '1',
        PYTHONDONTWRITEBYTECODE: '1',
      });
      assert.equal(r.code, 0, r.out);
      const ran = /^Ran (\d+) tests? in /m.exec(r.out);
      assert.equal(Number(ran?.[1]), EXPECTED_TESTS, r.out);
      const skipped = /^OK \(skipped=(\d+)\)$/m.exec(r.out);
      assert.equal(Number(skipped?.[1] ?? 0), 0, r.out);
      // The paid flow really paid: every checkout the Python tests paid reached the gateway's webhook.
      assert.ok(payments.length >= 2, JSON.stringify(payments));
      assert.ok(
        payments.every((p) => p.status === 200),
        JSON.stringify(payments),
      );
    });
  },
);
