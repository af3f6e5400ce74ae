/**
 * The real CLI (`node bin/fmu-gateway.js …`) as a user runs it: library, info, simulate with
 * --json / --csv / --input / --set, Model Exchange event times, and coded errors on stderr.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { buildLibraryModel } from '../helpers/fixtures.ts';
import { BIN } from './mcp-harness.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'fmu-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

// A minimal environment: the CLI needs PATH (compiler, bwrap) and its data dir, nothing else.
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: dataDir,
  FMU_GATEWAY_DATA_DIR: dataDir,
  FMU_GATEWAY_POOL_SIZE: '1',
};

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** Analytic impact times of the library BouncingBall: drop from h0, rebound speed e·v, rests below v_min. */
function impactTimes(h0: number, g: number, e: number, vMin: number, stop: number): number[] {
  const times = [Math.sqrt((2 * h0) / g)];
  let v = e * Math.sqrt(2 * g * h0);
  while (v >= vMin) {
    const t = (times[times.length - 1] as number) + (2 * v) / g;
    if (t > stop) break;
    times.push(t);
    v *= e;
  }
  return times;
}

describe('fmu-gateway CLI', () => {
  let dahlquist = '';
  before(async () => {
    dahlquist = await buildLibraryModel('Dahlquist', '2.0');
  });

  it('lists at least 12 library models', async () => {
    const r = await cli(['library']);
    assert.equal(r.code, 0, r.stderr);
    const ids: string[] = r.stdout.match(/msl:\w+/g) ?? [];
    assert.ok(ids.length >= 12, r.stdout);
    assert.ok(ids.includes('msl:BouncingBall'));
  });

  it('shows the summary and variable table of an FMU file', async () => {
    const r = await cli(['info', dahlquist]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /model\s+Dahlquist/);
    assert.match(r.stdout, /FMI\s+2\.0/);
    assert.match(r.stdout, /^k\s+parameter\s+fixed\s+Float64\s+1\s+1\/s/m);
  });

  it('simulate --json of the closed-form FMU matches x0·exp(-k·t) to 1e-6 relative', async () => {
    const r = await cli(['simulate', dahlquist, '--stop', '10', '--step', '1e-3', '--set', 'k=0.5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rows: number; series: { time: number[]; x: number[] } };
    assert.equal(out.rows, 10_001);
    assert.equal(out.series.time.length, 10_001, 'the full series, not the downsampled one');
    let worst = 0;
    out.series.time.forEach((t, i) => {
      const exact = Math.exp(-0.5 * t);
      worst = Math.max(worst, Math.abs((out.series.x[i] as number) - exact) / exact);
    });
    assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  });

  it('prints a short summary by default and writes the full result with --csv', async () => {
    const csv = join(dataDir, 'out.csv');
    const r = await cli(['simulate', 'msl:BouncingBall', '--stop', '3', '--csv', csv]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.split('\n').length < 20, 'a summary, not thousands of rows');
    assert.match(r.stdout, /^h\s+\S+\s+0\s+1\s+m$/m);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'time,h,v,bounces,resting');
    assert.equal(lines.length, 302);
  });

  it('writes the same rows as Arrow IPC with --arrow, typed, with units', async () => {
    const csv = join(dataDir, 'both.csv');
    const arrow = join(dataDir, 'both.arrow');
    const r = await cli(['simulate', 'msl:BouncingBall', '--stop', '3', '--csv', csv, '--arrow', arrow]);
    assert.equal(r.code, 0, r.stderr);
    const table = tableFromIPC(readFileSync(arrow));
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(table.numRows, lines.length - 1);
    assert.deepEqual(
      table.schema.fields.map((f) => f.name),
      (lines[0] as string).split(','),
    );
    assert.equal(table.schema.fields.find((f) => f.name === 'h')?.metadata.get('unit'), 'm');
    const row = 150;
    const cells = (lines[row + 1] as string).split(',').map(Number);
    assert.deepEqual(
      table.schema.fields.map((f) => Number(table.getChild(f.name)?.get(row))),
      cells,
    );
  });

  it('Model Exchange with rk45 reports impact times matching the analytic ones', async () => {
    const r = await cli(['simulate', 'msl:BouncingBall', '--interface', 'ME', '--solver', 'rk45', '--stop', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { event_times: number[]; provenance: { interface: string; solver: string } };
    assert.equal(out.provenance.interface, 'ME');
    assert.match(out.provenance.solver, /rk45/);
    const expected = impactTimes(1, 9.81, 0.7, 0.1, 3);
    assert.equal(out.event_times.length, expected.length);
    expected.forEach((t, i) =>
      assert.ok(Math.abs((out.event_times[i] as number) - t) < 1e-6, `impact ${i}: ${out.event_times[i]} vs ${t}`),
    );
  });

  it('drives inputs from a CSV table (--input)', async () => {
    const table = join(dataDir, 'inputs.csv');
    // A heat input switched on at t = 0 and held: ThermalMass approaches T_amb + Q/(h·A).
    writeFileSync(table, 'time,Q\n0,0\n0,100\n1000,100\n');
    const withInput = await cli(['simulate', 'msl:ThermalMass', '--stop', '100', '--step', '1', '--input', table, '--json']);
    const without = await cli(['simulate', 'msl:ThermalMass', '--stop', '100', '--step', '1', '--set', 'Q=0', '--json']);
    assert.equal(withInput.code, 0, withInput.stderr);
    assert.equal(without.code, 0, without.stderr);
    const a = JSON.parse(withInput.stdout) as { summary: Record<string, { final: number }> };
    const b = JSON.parse(without.stdout) as { summary: Record<string, { final: number }> };
    const name = Object.keys(a.summary)[0] as string;
    assert.ok((a.summary[name]?.final ?? 0) > (b.summary[name]?.final ?? 0), 'the heat input warms the mass');
  });

  it('reads quoted fields, String columns and exact Int64 digits from an input CSV', async () => {
    const table = join(dataDir, 'typed-inputs.csv');
    writeFileSync(
      table,
      '"time";"Int64_input";"String_input"\n0;-9223372036854775808;"hello; ""world"""\n0.5;9223372036854775807;plain text\n',
    );
    const out = join(dataDir, 'typed-out.csv');
    const r = await cli([
      'simulate',
      'msl:Feedthrough',
      '--fmi-version',
      '3.0',
      '--stop',
      '1',
      '--step',
      '0.5',
      '--input',
      table,
      '--output',
      'Int64_output,String_output',
      '--csv',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), [
      'time,Int64_output,String_output',
      '0,-9223372036854775808,"hello; ""world"""',
      '0.5,9223372036854775807,plain text',
      '1,9223372036854775807,plain text',
    ]);
  });

  it('integrates with euler at --fixed-step, and at the output interval by default', async () => {
    const euler = async (extra: string[]) => {
      const r = await cli([
        'simulate',
        'msl:Dahlquist',
        '--interface',
        'ME',
        '--solver',
        'euler',
        '--stop',
        '1',
        '--step',
        '0.1',
        ...extra,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { summary: { x: { final: number } }; provenance: { solver: string } };
    };
    // Dahlquist x' = -k·x, k = 1, x(0) = 1: forward Euler gives x(1) = (1 - h)^(1/h).
    const fine = await euler(['--fixed-step', '0.01']);
    assert.ok(Math.abs(fine.summary.x.final - 0.99 ** 100) < 1e-12, `${fine.summary.x.final}`);
    assert.match(fine.provenance.solver, /fixed step 0\.01/);
    const byDefault = await euler([]);
    assert.ok(Math.abs(byDefault.summary.x.final - 0.9 ** 10) < 1e-12, `${byDefault.summary.x.final}`);
    const cs = await cli(['simulate', 'msl:Dahlquist', '--stop', '1', '--fixed-step', '0.01']);
    assert.notEqual(cs.code, 0);
    assert.match(cs.stderr, /BAD_REQUEST/);
  });

  it('fails with a coded error naming an unknown variable', async () => {
    const r = await cli(['simulate', 'msl:BouncingBall', '--stop', '1', '--set', 'gravity=3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[UNKNOWN_VARIABLE\]/);
    assert.match(r.stderr, /gravity/);
  });

  it('a data dir that is a file is CONFIG_INVALID naming the variable (no stack trace), the file untouched', async () => {
    const file = join(dataDir, 'not-a-folder');
    writeFileSync(file, 'keep');
    const r = await cli(['simulate', 'msl:Dahlquist', '--stop', '1'], { FMU_GATEWAY_DATA_DIR: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[CONFIG_INVALID\]: FMU_GATEWAY_DATA_DIR/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(readFileSync(file, 'utf8'), 'keep');
    // Positive control: the same command with a usable data dir runs.
    assert.equal((await cli(['simulate', 'msl:Dahlquist', '--stop', '1'])).code, 0);
  });

  it('refuses a stop time before the start time', async () => {
    const r = await cli(['simulate', 'msl:BouncingBall', '--start-time', '2', '--stop', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[BAD_REQUEST\].*stop_time/);
  });

  it('sweep refuses a bad output grid once, before running anything', async () => {
    const r = await cli(['sweep', 'msl:Dahlquist', '--stop', '1', '--step', '0', '--set', 'k=1,2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[BAD_REQUEST\].*--step/);
    assert.doesNotMatch(r.stdout, /completed/);
  });

  it('ends quietly when its reader has gone (fmu-gateway library | head)', async () => {
    const child = spawn(process.execPath, [BIN, 'library'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.destroy(); // closed before the command writes anything: every write meets EPIPE
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('answers NOT_FOUND for an unknown library model', async () => {
    const r = await cli(['info', 'msl:NoSuchModel']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[NOT_FOUND\]/);
  });

  it('prints --help of every command on stdout with exit code 0', async () => {
    for (const command of ['library', 'info', 'simulate', 'sweep', 'doctor', 'serve']) {
      const r = await cli([command, '--help']);
      assert.equal(r.code, 0, `${command} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`fmu-gateway ${command}`), `${command} --help names the command`);
    }
  });

  it('answers an unknown option with a usage error (exit 2, no stack trace)', async () => {
    const r = await cli(['simulate', 'msl:BouncingBall', '--stpo', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--stpo'/);
    assert.match(r.stderr, /fmu-gateway simulate --help/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.equal(r.stdout, '');
  });

  it('refuses invalid option values with coded errors instead of ignoring them', async () => {
    const causality = await cli(['info', 'msl:BouncingBall', '--causality', 'outputs']);
    assert.equal(causality.code, 1);
    assert.match(causality.stderr, /\[BAD_REQUEST\]: --causality must be one of/);
    const version = await cli(['info', 'msl:BouncingBall', '--fmi-version', '4.0']);
    assert.match(version.stderr, /\[BAD_REQUEST\]: --fmi-version/);
    const limit = await cli(['library', '--limit', 'many']);
    assert.match(limit.stderr, /\[BAD_REQUEST\]: --limit/);
    const solver = await cli(['simulate', 'msl:BouncingBall', '--stop', '1', '--solver', 'bdf']);
    assert.match(solver.stderr, /\[BAD_REQUEST\]: solver "bdf" applies to Model Exchange only/);
  });

  it('prints the usage on stderr with exit code 2 when no command is given', async () => {
    const r = await cli([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage:/);
  });
});
