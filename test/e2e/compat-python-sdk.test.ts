/**
 * The original gateway's SDK call sequence, in Python with only its standard library
 * (test/e2e/compat/original_sdk_flow.py), against two `serve`s: a free one, and a paid one with
 * the Stripe SDK pointed at the stand-in. The script prints "PAY <session_id>"; this test plays
 * the paying human (the stand-in marks the session paid and sends Stripe's signed webhook) and
 * answers "paid".
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildUploadFixture, ROOT, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const SCRIPT = join(ROOT, 'test', 'e2e', 'compat', 'original_sdk_flow.py');
const pythonMissing = spawnSync('python3', ['--version']).status === 0 ? undefined : 'python3 is not installed';

describe(
  "the original SDK's call sequence from Python's standard library",
  { timeout: 300_000, skip: prerequisite('python3', pythonMissing) },
  () => {
    let free: HttpGateway;
    let paid: HttpGateway;
    let stripe: StripeStandin;
    const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-pysdk-'));

    before(async () => {
      stripe = await startStripeStandin();
      free = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
      paid = await startHttpGateway([], {
        KEY_CREATION_PER_HOUR: '1000',
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
      });
    });
    after(async () => {
      await free?.close();
      await paid?.close();
      await stripe?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('key → by-hash → upload → variables → simulate with signals and KPIs → paid flow', async () => {
      const fmu = await buildUploadFixture(dir);
      const freeBase = free.url.replace(/\/mcp$/, '');
      const paidBase = paid.url.replace(/\/mcp$/, '');
      const child = spawn('python3', [SCRIPT, freeBase, paidBase, fmu], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let paidSession: string | undefined;
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^PAY (\S+)$/m.exec(out);
          if (m?.[1] !== undefined && paidSession === undefined) {
            paidSession = m[1];
            void stripe.sendEvent(`${paidBase}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(paidSession)).then((r) => {
              assert.equal(r.status, 200, r.body);
              child.stdin.write('paid\n');
            });
          }
        });
        child.once('exit', resolve);
      });
      assert.equal(code, 0, `${out}\n${err}`);
      assert.match(out, /^OK$/m);
      assert.match(paidSession ?? '', /^cs_test_/);
    });
  },
);
