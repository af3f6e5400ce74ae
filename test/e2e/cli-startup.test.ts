/**
 * Start-up ordering of the CLI (issue 24): what the launcher answers itself, and the order of the
 * phases a one-shot `simulate` goes through (src/startup-trace.ts marks, FMU_GATEWAY_TRACE_STARTUP=1).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, gatewayEnv } from './mcp-harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-cli-startup-'));
const run = (args: string[], env: Record<string, string> = gatewayEnv(dataDir)) =>
  spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });

function marks(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('fmu-gateway startup: '))
    .map((l) => l.replace(/^fmu-gateway startup: [\d.]+ /, ''));
}

describe('CLI start-up', { timeout: 180_000 }, () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('--version and -v from the launcher print what the program itself prints (package.json version)', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const fromSources = run(['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), '--version']);
    assert.equal(fromSources.status, 0, fromSources.stderr);
    assert.equal(fromSources.stdout, `fmu-gateway ${version}\n`);
    for (const flag of ['--version', '-v']) {
      const r = run([BIN, flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, fromSources.stdout);
      assert.equal(r.stderr, '');
    }
  });

  it('simulate spawns its worker before it loads the service code, and completes', () => {
    const r = run([BIN, 'simulate', 'msl:BouncingBall', '--stop', '3'], gatewayEnv(dataDir, { FMU_GATEWAY_TRACE_STARTUP: '1' }));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /BouncingBall: 301 rows/);
    const m = marks(r.stderr);
    const at = (phase: string): number => {
      const i = m.indexOf(phase);
      assert.ok(i >= 0, `mark "${phase}" in ${JSON.stringify(m)}`);
      return i;
    };
    assert.ok(at('pool: worker spawn') < at('simulate code loaded'), `order: ${JSON.stringify(m)}`);
    assert.ok(at('simulate code loaded') < at('simulation answered'));
  });
});
