/**
 * `fmu-gateway simulate model.ssp` through the real CLI: an SSP archive of the quarter car with an
 * .ssv parameter set, simulated as ME and CS; the JSON has "component.variable" series; a hostile
 * archive ends with its code and writes nothing outside.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { buildFixture } from '../helpers/fixtures.ts';
import { quarterCarSsp } from '../helpers/ssp-craft.ts';
import { BIN } from './mcp-harness.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'fmu-cli-systems-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, FMU_GATEWAY_DATA_DIR: dataDir, FMU_GATEWAY_POOL_SIZE: '1' };

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('fmu-gateway simulate model.ssp', { timeout: 180_000 }, () => {
  let ssp = '';
  let body = '';
  let wheel = '';
  before(async () => {
    body = await buildFixture('sys-body', '2.0');
    wheel = await buildFixture('sys-wheel', '2.0');
    ssp = join(dataDir, 'quarter-car.ssp');
    writeFileSync(ssp, quarterCarSsp(body, wheel, { bodyParams: { m_s: 300 } }));
  });

  it('simulates the archive (ME) and prints component.variable series', async () => {
    const r = await cli([
      'simulate',
      ssp,
      '--interface',
      'ME',
      '--step',
      '0.05',
      '--tolerance',
      '1e-8',
      '--output',
      'body.z_s,wheel.z_u',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      rows: number;
      series: Record<string, number[]>;
      provenance: { interface: string; start_values: Record<string, number> };
    };
    assert.equal(out.rows, 61);
    assert.deepEqual(Object.keys(out.series).sort(), ['body.z_s', 'time', 'wheel.z_u']);
    assert.equal(out.provenance.interface, 'ME');
    assert.equal(out.provenance.start_values['body.m_s'], 300);
    assert.ok((out.series['body.z_s']?.[60] as number) > 0.03);
  });

  it('simulates it as CS with the Jacobi master and a finer macro step', async () => {
    const r = await cli(['simulate', ssp, '--stop', '1', '--step', '0.1', '--master', 'jacobi', '--communication-step', '0.001']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /body\.z_s/);
    assert.match(r.stdout, /FMI 3\.0 CS/);
  });

  it('refuses a hostile archive with its code', async () => {
    const bad = join(dataDir, 'bad.ssp');
    writeFileSync(bad, quarterCarSsp(body, wheel, { extra: [{ name: '../../escaped.txt', data: 'x' }] }));
    const r = await cli(['simulate', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SYSTEM_INVALID/);
    assert.equal(existsSync(join(dataDir, '..', 'escaped.txt')), false);
    assert.equal(existsSync(join(dataDir, '..', '..', 'escaped.txt')), false);
  });
});
