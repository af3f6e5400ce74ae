/**
 * The remembered sandbox self-test verdict (src/runner/sandbox-cache.ts): only a positive verdict
 * is kept, only for the same key, only from a file no one else could have written, only for a day;
 * and the key moves with what decides the probe's outcome.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { forgetSelfTest, readSelfTest, selfTestKey, writeSelfTest } from '../../../src/runner/sandbox-cache.ts';
import type { IsolationReport } from '../../../src/runner/types.ts';

const dirs: string[] = [];
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fmu-gw-sandbox-cache-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SANDBOXED: IsolationReport = {
  level: 'sandboxed',
  features: ['separate-process', 'bwrap', 'network-namespace', 'read-only-root', 'pid-namespace'],
  missing: [],
};
const cmd = (args: string[]) => ({ command: '/usr/bin/prlimit', args, env: { PATH: '/usr/bin' } });

describe('sandbox self-test cache', () => {
  it('remembers a positive verdict for its key and nothing else', () => {
    const d = dir();
    const key = selfTestKey(cmd(['--data=1', '--', '/usr/bin/bwrap']), ['/bin/sh']);
    assert.equal(readSelfTest(d, key), undefined, 'nothing before a write');
    writeSelfTest(d, key, SANDBOXED);
    assert.deepEqual(readSelfTest(d, key), SANDBOXED);
    const other = selfTestKey(cmd(['--data=2', '--', '/usr/bin/bwrap']), ['/bin/sh']);
    assert.notEqual(other, key, 'another launch command is another key');
    assert.equal(readSelfTest(d, other), undefined);
  });

  it('never remembers a negative verdict (a forged file could only ask for more isolation)', () => {
    const d = dir();
    const key = selfTestKey(cmd(['x']), []);
    writeSelfTest(d, key, { level: 'process-only', features: ['separate-process'], missing: ['bwrap: not installed'] });
    assert.equal(existsSync(join(d, 'sandbox-self-test.json')), false);
    // A hand-written negative verdict under the right key is ignored too.
    writeFileSync(
      join(d, 'sandbox-self-test.json'),
      JSON.stringify({ key, at: Date.now(), report: { level: 'process-only', features: [], missing: [] } }),
      {
        mode: 0o600,
      },
    );
    assert.equal(readSelfTest(d, key), undefined);
  });

  it('distrusts a file others could write, and an old verdict', () => {
    const d = dir();
    const key = selfTestKey(cmd(['y']), []);
    writeSelfTest(d, key, SANDBOXED);
    const file = join(d, 'sandbox-self-test.json');
    chmodSync(file, 0o666);
    assert.equal(readSelfTest(d, key), undefined, 'world-writable file ignored');
    chmodSync(file, 0o600);
    assert.deepEqual(readSelfTest(d, key), SANDBOXED, 'positive control: the same file, private again');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { at: number };
    writeFileSync(file, JSON.stringify({ ...stored, at: Date.now() - 25 * 3600 * 1000 }), { mode: 0o600 });
    assert.equal(readSelfTest(d, key), undefined, 'a verdict older than a day is probed again');
  });

  it('forgets on request, and a per-process private copy of the runtime does not change the key', () => {
    const d = dir();
    const a = selfTestKey(cmd(['--ro-bind', '/tmp/fmu-gateway-runtime-123-AbC', '/tmp/fmu-gateway-runtime-123-AbC']), []);
    const b = selfTestKey(cmd(['--ro-bind', '/tmp/fmu-gateway-runtime-456-XyZ', '/tmp/fmu-gateway-runtime-456-XyZ']), []);
    assert.equal(a, b);
    writeSelfTest(d, a, SANDBOXED);
    forgetSelfTest(d);
    assert.equal(readSelfTest(d, a), undefined);
  });

  it('changes the key with the binaries it depends on', () => {
    const d = dir();
    const bin = join(d, 'bwrap');
    writeFileSync(bin, 'v1');
    const k1 = selfTestKey(cmd(['z']), [bin]);
    writeFileSync(bin, 'version 2');
    const k2 = selfTestKey(cmd(['z']), [bin]);
    assert.notEqual(k1, k2, 'an upgraded bwrap is probed again');
  });
});
