/**
 * The FMU builder and the generic C adapters, checked without the TypeScript binding: FMUs are
 * built from library/models, their zip layout, exported symbols and XML inspected, and their
 * binaries driven through the raw FMI C API by a small C program (tools/fmu-builder/fmi-check.c).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { XMLParser } from 'fast-xml-parser';
import { isGatewayError } from '../../src/errors.ts';
import { buildFmu, findCCompiler } from '../../tools/fmu-builder.ts';
import { bouncingBall, dahlquist, rk45 } from '../helpers/references.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = join(ROOT, 'library', 'models');
const DRIVER_SRC = join(ROOT, 'tools', 'fmu-builder', 'fmi-check.c');

let dir = '';
let driver = '';

interface Built {
  fmu: string;
  lib: string;
  guid: string;
  zip: AdmZip;
  xml: string;
}
const built = new Map<string, Built>();

async function build(model: string, version: '2.0' | '3.0', extra: { sources?: boolean } = {}): Promise<Built> {
  const key = `${model}-${version}`;
  const fmu = join(dir, `${key}.fmu`);
  const r = await buildFmu({ modelDir: join(MODELS, model), fmiVersion: version, outFile: fmu, ...extra });
  assert.equal(r.warnings, '', `${key} compiles without warnings`);
  const zip = new AdmZip(fmu);
  const libEntry = version === '2.0' ? `binaries/linux64/${model}.so` : `binaries/x86_64-linux/${model}.so`;
  const unpacked = join(dir, key);
  zip.extractAllTo(unpacked, true);
  const b: Built = { fmu, lib: join(unpacked, libEntry), guid: r.guid, zip, xml: zip.readAsText('modelDescription.xml') };
  built.set(key, b);
  return b;
}

function get(key: string): Built {
  const b = built.get(key);
  assert.ok(b, `${key} was built in before()`);
  return b;
}

/** Runs the C driver; returns the numeric rows (time first) and stderr. */
function drive(b: Built, args: string[]): Promise<{ rows: number[][]; comments: string[]; stderr: string; code: number }> {
  const version = b.xml.includes('fmiVersion="3.0"') ? '3' : '2';
  return new Promise((resolve) => {
    execFile(driver, [b.lib, version, b.guid, ...args], (err, stdout, stderr) => {
      const lines = stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '');
      resolve({
        rows: lines.filter((l) => !l.startsWith('#') && !l.includes('=')).map((l) => l.split(',').map(Number)),
        comments: [...lines.filter((l) => l.startsWith('#') || l.includes('='))],
        stderr,
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
      });
    });
  });
}

const hasCompiler = findCCompiler() !== undefined;

describe('fmu-builder', { skip: hasCompiler ? false : 'no C compiler' }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fmu-builder-test-'));
    driver = join(dir, 'fmi-check');
    execFileSync(findCCompiler() as string, ['-O2', '-o', driver, DRIVER_SRC, '-ldl']);
    // Two at a time: the test machine has two cores.
    const jobs: [string, '2.0' | '3.0', { sources?: boolean }][] = [
      ['Dahlquist', '2.0', { sources: true }],
      ['Dahlquist', '3.0', { sources: true }],
      ['BouncingBall', '2.0', {}],
      ['BouncingBall', '3.0', {}],
      ['Stair', '2.0', {}],
      ['Stair', '3.0', {}],
      ['VanDerPol', '3.0', {}],
      ['Feedthrough', '2.0', {}],
      ['Feedthrough', '3.0', {}],
    ];
    for (let i = 0; i < jobs.length; i += 2) {
      await Promise.all(jobs.slice(i, i + 2).map(([m, v, o]) => build(m, v, o)));
    }
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('FMI 2 FMU has the standard layout with sources', () => {
    const names = get('Dahlquist-2.0')
      .zip.getEntries()
      .map((e) => e.entryName)
      .sort();
    assert.ok(names.includes('modelDescription.xml'));
    assert.ok(names.includes('binaries/linux64/Dahlquist.so'));
    for (const f of ['model.c', 'model.h', 'model_generated.h', 'model_tables.h', 'core.c', 'cs_solver.c', 'fmi2.c']) {
      assert.ok(names.includes(`sources/${f}`), `sources/${f}`);
    }
    // Like most exports, the sources rely on the importer's FMI headers instead of shipping them.
    assert.ok(!names.some((n) => /fmi2(Functions|FunctionTypes|TypesPlatform)\.h$/.test(n)), names.join(', '));
    assert.ok(!names.some((n) => n.includes('fmi3')), 'no FMI 3 files in an FMI 2 FMU');
  });

  test('FMI 3 FMU has the standard layout with sources/buildDescription.xml', () => {
    const b = get('Dahlquist-3.0');
    const names = b.zip.getEntries().map((e) => e.entryName);
    assert.ok(names.includes('binaries/x86_64-linux/Dahlquist.so'));
    assert.ok(names.includes('sources/buildDescription.xml'));
    const bd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(b.zip.readAsText('sources/buildDescription.xml'));
    const files = (bd.fmiBuildDescription.BuildConfiguration.SourceFileSet.SourceFile as { name: string }[]).map((f) => f.name);
    assert.deepEqual(files.sort(), ['core.c', 'cs_solver.c', 'fmi3.c', 'model.c']);
  });

  test('FMUs without sources carry no sources/ folder', () => {
    assert.ok(
      !get('Stair-2.0')
        .zip.getEntries()
        .some((e) => e.entryName.startsWith('sources/')),
    );
  });

  test('binaries export exactly the standard FMI 2 / FMI 3 functions, unprefixed', () => {
    const exported = (lib: string): string[] =>
      execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => / T /.test(l))
        .map((l) => l.split(' ').at(-1) as string)
        .sort();
    const f2 = exported(get('Dahlquist-2.0').lib);
    const f3 = exported(get('Dahlquist-3.0').lib);
    for (const name of [
      'fmi2Instantiate',
      'fmi2DoStep',
      'fmi2GetReal',
      'fmi2SetString',
      'fmi2NewDiscreteStates',
      'fmi2GetDerivatives',
      'fmi2GetRealStatus',
      'fmi2DeSerializeFMUstate',
      'fmi2GetTypesPlatform',
    ])
      assert.ok(f2.includes(name), name);
    for (const name of [
      'fmi3InstantiateCoSimulation',
      'fmi3InstantiateModelExchange',
      'fmi3InstantiateScheduledExecution',
      'fmi3DoStep',
      'fmi3GetFloat64',
      'fmi3SetBinary',
      'fmi3GetClock',
      'fmi3UpdateDiscreteStates',
      'fmi3GetContinuousStateDerivatives',
      'fmi3ActivateModelPartition',
      'fmi3GetIntervalFraction',
      'fmi3EnterConfigurationMode',
    ])
      assert.ok(f3.includes(name), name);
    assert.equal(f2.length, 44, `FMI 2.0 defines 44 functions, got ${f2.join(' ')}`);
    assert.equal(f3.length, 75, `FMI 3.0 defines 75 functions, got ${f3.length}`);
    assert.ok(
      f2.every((n) => n.startsWith('fmi2')),
      'nothing but fmi2* exported (no model_/core_ leaks)',
    );
    assert.ok(
      f3.every((n) => /^fmi3[A-Z]/.test(n)),
      'nothing but unprefixed fmi3* exported',
    );
  });

  test('FMI 2 modelDescription.xml lists variables, derivatives and model structure', () => {
    const b = get('Dahlquist-2.0');
    const md = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => n === 'ScalarVariable' || n === 'Unknown',
    }).parse(b.xml).fmiModelDescription;
    assert.equal(md.fmiVersion, '2.0');
    assert.equal(md.guid, b.guid);
    assert.equal(md.ModelExchange.modelIdentifier, 'Dahlquist');
    assert.equal(md.CoSimulation.modelIdentifier, 'Dahlquist');
    assert.deepEqual(md.ModelExchange.SourceFiles.File.map((f: { name: string }) => f.name).sort(), [
      'core.c',
      'cs_solver.c',
      'fmi2.c',
      'model.c',
    ]);
    const vars = md.ModelVariables.ScalarVariable as Record<string, unknown>[];
    assert.deepEqual(
      vars.map((v) => [v.name, v.valueReference, v.causality]),
      [
        ['time', '0', 'independent'],
        ['x', '1', 'output'],
        ['der(x)', '2', 'local'],
        ['k', '3', 'parameter'],
      ],
    );
    assert.deepEqual(vars[2]?.Real, { derivative: '2' }, 'der(x) points at x by 1-based index');
    assert.deepEqual(vars[3]?.Real, { start: '1', unit: '1/s' });
    assert.equal(md.ModelStructure.Outputs.Unknown[0].index, '2');
    assert.equal(md.ModelStructure.Derivatives.Unknown[0].index, '3');
    assert.equal(md.DefaultExperiment.stopTime, '10');
  });

  test('FMI 3 modelDescription.xml uses typed variables, value-reference derivatives and event indicators', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed XML is untyped
    const parse = (xml: string): Record<string, any> =>
      new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '',
        isArray: (n) => ['Float64', 'Output', 'EventIndicator', 'ContinuousStateDerivative'].includes(n),
      }).parse(xml).fmiModelDescription;
    const d = parse(get('Dahlquist-3.0').xml);
    assert.equal(d.instantiationToken, get('Dahlquist-3.0').guid);
    assert.equal(d.ModelVariables.Float64.find((v: { name: string }) => v.name === 'der(x)').derivative, '1');
    const bb = parse(get('BouncingBall-3.0').xml);
    const z = bb.ModelVariables.Float64.find((v: { name: string }) => v.name === 'z_ground');
    assert.deepEqual(
      bb.ModelStructure.EventIndicator.map((e: { valueReference: string }) => e.valueReference),
      [z.valueReference],
    );
    assert.equal(bb.ModelStructure.ContinuousStateDerivative.length, 2);
    assert.equal(bb.ModelVariables.Float64.find((v: { name: string }) => v.name === 'v').reinit, 'true');
  });

  test('Feedthrough maps every type: all 13 in FMI 3, Real/Integer/Boolean/String in FMI 2 without Binary', () => {
    const p = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'ScalarVariable' });
    const md2 = p.parse(get('Feedthrough-2.0').xml).fmiModelDescription;
    const typeOf = new Map<string, string>(
      (md2.ModelVariables.ScalarVariable as Record<string, unknown>[]).map((v) => [
        v.name as string,
        ['Real', 'Integer', 'Boolean', 'String'].find((t) => t in v) as string,
      ]),
    );
    assert.equal(typeOf.get('Float32_input'), 'Real');
    assert.equal(typeOf.get('Int64_output'), 'Real');
    assert.equal(typeOf.get('UInt32_parameter'), 'Real');
    assert.equal(typeOf.get('Int8_input'), 'Integer');
    assert.equal(typeOf.get('UInt16_output'), 'Integer');
    assert.equal(typeOf.get('Boolean_input'), 'Boolean');
    assert.equal(typeOf.get('String_output'), 'String');
    assert.ok(![...typeOf.keys()].some((n) => n.startsWith('Binary')));
    const xml3 = get('Feedthrough-3.0').xml;
    for (const t of [
      'Float32',
      'Float64',
      'Int8',
      'UInt8',
      'Int16',
      'UInt16',
      'Int32',
      'UInt32',
      'Int64',
      'UInt64',
      'Boolean',
      'String',
      'Binary',
    ]) {
      assert.match(xml3, new RegExp(`<${t} name="${t}_input"`), `${t}_input`);
      assert.match(xml3, new RegExp(`<${t} name="${t}_output"`), `${t}_output`);
    }
    assert.match(xml3, /<Binary name="Binary_parameter"[^>]*>\s*<Start value="666f6f"\/>/);
  });

  test('Dahlquist Co-Simulation matches x0·exp(−k·t) to 1e-9 relative in FMI 2 and FMI 3', async () => {
    for (const key of ['Dahlquist-2.0', 'Dahlquist-3.0']) {
      const { rows, code, stderr } = await drive(get(key), ['cs', '1', '0.001', '1', '3=2']); // k = 2
      assert.equal(code, 0, stderr);
      assert.equal(rows.length, 1001);
      for (const [t, x] of rows as [number, number][]) {
        const ref = dahlquist({ k: 2, x0: 1 }, t);
        assert.ok(Math.abs(x - ref) <= 1e-9 * ref, `${key} t=${t}: ${x} vs ${ref}`);
      }
    }
  });

  test('Dahlquist Model Exchange derivatives reproduce explicit Euler exactly: x_n = (1 − k·h)^n', async () => {
    for (const key of ['Dahlquist-2.0', 'Dahlquist-3.0']) {
      const { rows, code, stderr } = await drive(get(key), ['me', '1', '0.001', '1']);
      assert.equal(code, 0, stderr);
      const last = rows.at(-1) as [number, number];
      assert.ok(Math.abs(last[0] - 1) < 1e-12);
      assert.ok(Math.abs(last[1] - Math.pow(1 - 1e-3, 1000)) <= 1e-13, `${key}: ${last[1]}`);
    }
  });

  test('BouncingBall Co-Simulation locates every impact: h, v match the exact parabolas to 1e-8', async () => {
    for (const key of ['BouncingBall-2.0', 'BouncingBall-3.0']) {
      const { rows, code, stderr } = await drive(get(key), ['cs', '3', '0.01', '1,3,i8']);
      assert.equal(code, 0, stderr);
      for (const [t, h, v, bounces] of rows as [number, number, number, number][]) {
        const ref = bouncingBall({ h0: 1, g: 9.81, e: 0.7, vMin: 0.1 }, t);
        assert.ok(Math.abs(h - ref.h) < 1e-8 && Math.abs(v - ref.v) < 1e-8, `${key} t=${t}: h ${h} vs ${ref.h}, v ${v} vs ${ref.v}`);
        assert.equal(bounces, ref.bounces, `${key} bounces at t=${t}`);
      }
      assert.equal(rows.at(-1)?.[3], 11, 'rests after 11 impacts');
    }
  });

  test('Stair time events off the output grid are hit exactly (period 0.35 s, output step 0.1 s)', async () => {
    for (const key of ['Stair-2.0', 'Stair-3.0']) {
      const { rows, code, stderr } = await drive(get(key), ['cs', '2', '0.1', 'i1', '2=0.35']);
      assert.equal(code, 0, stderr);
      for (const [t, counter] of rows as [number, number][]) {
        assert.equal(counter, Math.floor((t + 1e-9) / 0.35), `${key} counter at t=${t}`);
      }
    }
  });

  test('Stair requests termination at terminate_at: FMI 2 Discard, FMI 3 terminateSimulation', async () => {
    for (const key of ['Stair-2.0', 'Stair-3.0']) {
      const { rows, comments, code, stderr } = await drive(get(key), ['cs', '10', '1', 'i1', 'i3=4']);
      assert.equal(code, 0, stderr);
      assert.deepEqual(rows.at(-1), [4, 4]);
      assert.deepEqual(comments, ['# terminated at 4']);
    }
  });

  test('VanDerPol Co-Simulation agrees with an independent Dormand–Prince reference to 1e-7', async () => {
    const { rows, code, stderr } = await drive(get('VanDerPol-3.0'), ['cs', '10', '0.01', '1,3']);
    assert.equal(code, 0, stderr);
    const times = rows.map((r) => r[0] as number);
    const mu = 1;
    const ref = rk45(
      (_t, y, dy) => {
        dy[0] = y[1] as number;
        dy[1] = mu * (1 - (y[0] as number) ** 2) * (y[1] as number) - (y[0] as number);
      },
      [2, 0],
      times,
    );
    rows.forEach((r, i) => {
      assert.ok(Math.abs((r[1] as number) - (ref[i]?.[0] as number)) < 1e-7, `x0 at t=${r[0]}`);
      assert.ok(Math.abs((r[2] as number) - (ref[i]?.[1] as number)) < 1e-7, `x1 at t=${r[0]}`);
    });
  });

  test('wrong-state calls, unknown value references and unsupported functions return Error and log why', async () => {
    const f2 = await drive(get('Dahlquist-2.0'), ['misuse', '0', '0', '1']);
    assert.equal(f2.code, 0, f2.stderr);
    assert.deepEqual(f2.comments, [
      'doStep_before_init=3',
      'reset=0',
      'getInteger_of_real=3',
      'reset=0',
      'setReal_unknown_vr=3',
      'reset=0',
      'setReal_state_in_step_mode=3',
      'getFMUstate=3',
      'setTime_on_cs=3',
    ]);
    // The FMI 2 logger receives format + arguments: the driver's vfprintf expanded them.
    assert.match(f2.stderr, /fmi2DoStep: not allowed in state Instantiated/);
    assert.match(f2.stderr, /fmi2GetInteger: variable 'x' \(vr 1\) is of type Real, not Integer/);
    assert.match(f2.stderr, /unknown value reference 999/);
    const f3 = await drive(get('Dahlquist-3.0'), ['misuse', '0', '0', '1']);
    assert.equal(f3.code, 0, f3.stderr);
    assert.deepEqual(f3.comments, [
      'doStep_before_init=3',
      'reset=0',
      'getInt32_of_float64=3',
      'reset=0',
      'setFloat64_unknown_vr=3',
      'reset=0',
      'setFloat64_state_in_step_mode=3',
      'getFMUState=3',
      'setTime_on_cs=3',
      'doStep_negative_step=3',
    ]);
    assert.match(f3.stderr, /fmi3GetInt32: variable 'x' \(vr 1\) is of type Float64, not Int32/);
  });

  test('debug logging honours the categories: nothing when off, only the listed categories when on', async () => {
    for (const key of ['BouncingBall-2.0', 'BouncingBall-3.0']) {
      const r = await drive(get(key), ['logging', '3', '0.01', '1']);
      assert.equal(r.code, 0, r.stderr);
      const counts = Object.fromEntries(r.comments.map((l) => l.split('=') as [string, string]).map(([k, n]) => [k, Number(n)]));
      assert.equal(counts.unknown_category, 3, `${key}: an unknown category is an Error`);
      assert.equal(counts.off, 0, `${key}: loggingOn false sends no OK-status messages`);
      assert.equal(counts.errors_only, 0, `${key}: impacts are logEvents, not logStatusError`);
      assert.ok((counts.events_only ?? 0) > 0 && (counts.all ?? 0) > 0, `${key}: ${r.comments.join(' ')}`);
    }
  });

  test('Model Exchange setTime may go back within a step, never before the last event', async () => {
    for (const key of ['Dahlquist-2.0', 'Dahlquist-3.0']) {
      const r = await drive(get(key), ['me-time', '0', '0', '1']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.comments, [
        'setTime_forward=0',
        'setTime_back_within_step=0',
        'enterEventMode=0',
        'enterContinuousTimeMode=0',
        'setTime_at_event=0',
        'setTime_before_event=3',
      ]);
      assert.match(r.stderr, /SetTime: time 0\.2\d* is before the last event at 0\.25/);
    }
  });

  test('a state event at the very end of a solver substep is handled once, on the crossed side', async () => {
    // z = time − t_c crosses 1e-13 s before the first 1 ms substep ends: inside the bisection
    // tolerance, so every bisection point lies before the crossing.
    const d = join(dir, 'crossing');
    await mkdir(d, { recursive: true });
    await writeFile(
      join(d, 'model.json'),
      JSON.stringify({
        name: 'Crossing',
        description: 'one state event at t_c',
        equations: 'z = time - t_c',
        tags: [],
        default_experiment: { stop_time: 0.002 },
        reference: { kind: 'closed_form', text: 'one event at t_c' },
        variables: [
          { name: 't_c', type: 'Float64', causality: 'parameter', start: 0.0009999999999 },
          { name: 'calls', type: 'Int32', causality: 'output', start: 0 },
          { name: 't_event', type: 'Float64', causality: 'output', variability: 'discrete', start: -1 },
          { name: 'z', type: 'Float64', causality: 'local', event_indicator: true },
        ],
      }),
    );
    await writeFile(
      join(d, 'model.c'),
      `#include "model.h"
static ModelStatus calculate_values(ModelInstance *m) { m->v.z = m->time - m->v.t_c; return MODEL_OK; }
static ModelStatus event_update(ModelInstance *m, ModelEventInfo *ev) {
    (void)ev;
    if (m->time > m->start_time) { m->v.calls++; m->v.t_event = m->time; } /* not the initial event iteration */
    return MODEL_OK;
}
const ModelHooks model_hooks = { .calculate_values = calculate_values, .event_update = event_update };
`,
    );
    for (const version of ['2.0', '3.0'] as const) {
      const fmu = join(dir, `Crossing-${version}.fmu`);
      const r = await buildFmu({ modelDir: d, fmiVersion: version, outFile: fmu });
      const unpacked = join(dir, `Crossing-${version}`);
      new AdmZip(fmu).extractAllTo(unpacked, true);
      const lib = join(unpacked, version === '2.0' ? 'binaries/linux64/Crossing.so' : 'binaries/x86_64-linux/Crossing.so');
      const b: Built = { fmu, lib, guid: r.guid, zip: new AdmZip(fmu), xml: new AdmZip(fmu).readAsText('modelDescription.xml') };
      const { rows, code, stderr } = await drive(b, ['cs', '0.002', '0.002', 'i2,3']);
      assert.equal(code, 0, stderr);
      const [, calls, tEvent] = rows.at(-1) as [number, number, number];
      assert.equal(calls, 1, `FMI ${version}: event_update ran once`);
      assert.ok(tEvent >= 0.0009999999999 && tEvent - 0.0009999999999 <= 1e-12, `FMI ${version}: event at ${tEvent}`);
    }
  });

  test('Co-Simulation fails the step, naming the state, when a NaN parameter makes a state non-finite', async () => {
    for (const key of ['Dahlquist-2.0', 'Dahlquist-3.0']) {
      const r = await drive(get(key), ['cs', '0.002', '0.001', '1', '3=nan']); // k = NaN
      assert.equal(r.code, 3, `${key}: doStep returns Error`);
      assert.match(r.stderr, /doStep: state 'x' became -?nan between t = 0 and 0\.001/);
    }
  });

  test('Zeno bouncing (v_min = 0) fails the step with a chattering message instead of hanging', async () => {
    for (const key of ['BouncingBall-2.0', 'BouncingBall-3.0']) {
      const r = await drive(get(key), ['cs', '3', '0.01', '1', '7=0']); // v_min = 0
      assert.equal(r.code, 3, `${key}: doStep returns Error`);
      assert.match(r.stderr, /more than 100000 events .* \(chattering or Zeno behaviour at t = 2\.5/);
    }
  });

  test('instantiate refuses a mismatching GUID / instantiation token with a log message', async () => {
    for (const key of ['Dahlquist-2.0', 'Dahlquist-3.0']) {
      const b = { ...get(key), guid: '{00000000-0000-0000-0000-000000000000}' };
      const r = await drive(b, ['cs', '1', '0.1', '1']);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /does not match this binary's/);
    }
  });

  test('mutateXml rewrites the description, platformDir relocates the binary, binary:false leaves it out', async () => {
    const out = join(dir, 'mutated.fmu');
    await buildFmu({
      modelDir: join(MODELS, 'Dahlquist'),
      fmiVersion: '2.0',
      outFile: out,
      platformDir: 'darwin64',
      mutateXml: (xml) => xml.replace(/guid="[^"]+"/, 'guid="{wrong}"'),
    });
    const zip = new AdmZip(out);
    assert.match(zip.readAsText('modelDescription.xml'), /guid="\{wrong\}"/);
    assert.deepEqual(
      zip
        .getEntries()
        .map((e) => e.entryName)
        .filter((n) => n.startsWith('binaries/')),
      ['binaries/darwin64/Dahlquist.dylib'],
    );
    const src = join(dir, 'source-only.fmu');
    await buildFmu({ modelDir: join(MODELS, 'Dahlquist'), fmiVersion: '3.0', outFile: src, binary: false, sources: true });
    const names = new AdmZip(src).getEntries().map((e) => e.entryName);
    assert.ok(!names.some((n) => n.startsWith('binaries/')));
    assert.ok(names.includes('sources/buildDescription.xml'));
  });

  describe('error paths', () => {
    async function modelDir(name: string, json: unknown, c = 'const int x = 0;\n'): Promise<string> {
      const d = join(dir, 'bad', name);
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
      await writeFile(join(d, 'model.c'), c);
      return d;
    }
    const base = {
      name: 'Bad',
      description: 'd',
      equations: 'e',
      tags: [],
      default_experiment: { stop_time: 1 },
      reference: { kind: 'closed_form', text: 't' },
      variables: [{ name: 'x', type: 'Float64', causality: 'output', start: 1 }],
    };
    const expectCode = async (code: string, p: Promise<unknown>): Promise<void> => {
      await assert.rejects(p, (e: unknown) => isGatewayError(e) && e.code === code && e.message.length > 20);
    };

    test('rejects a model.json whose derivative_of names an unknown state', async () => {
      const d = await modelDir('unknown-state', {
        ...base,
        variables: [...base.variables, { name: 'der(y)', type: 'Float64', causality: 'local', derivative_of: 'y' }],
      });
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d, fmiVersion: '2.0', outFile: join(dir, 'x.fmu') }));
    });

    test('rejects a model.json missing required fields or with a parameter without start', async () => {
      const d1 = await modelDir('missing', { name: 'Bad' });
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d1, fmiVersion: '3.0', outFile: join(dir, 'x.fmu') }));
      const d2 = await modelDir('nostart', { ...base, variables: [{ name: 'p', type: 'Float64', causality: 'parameter' }] });
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d2, fmiVersion: '3.0', outFile: join(dir, 'x.fmu') }));
      const d3 = await modelDir('badjson', '{ not json');
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d3, fmiVersion: '3.0', outFile: join(dir, 'x.fmu') }));
    });

    test('rejects out-of-range integer start values and continuous integers', async () => {
      const d1 = await modelDir('range', { ...base, variables: [{ name: 'p', type: 'UInt8', causality: 'parameter', start: 300 }] });
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d1, fmiVersion: '3.0', outFile: join(dir, 'x.fmu') }));
      const d2 = await modelDir('contint', {
        ...base,
        variables: [{ name: 'i', type: 'Int32', causality: 'output', variability: 'continuous', start: 1 }],
      });
      await expectCode('MODEL_DESCRIPTION_INVALID', buildFmu({ modelDir: d2, fmiVersion: '3.0', outFile: join(dir, 'x.fmu') }));
    });

    test('reports COMPILE_FAILED with the compiler output when model.c does not compile', async () => {
      const d = await modelDir('syntax', base, 'this is not C;\n');
      await assert.rejects(
        buildFmu({ modelDir: d, fmiVersion: '2.0', outFile: join(dir, 'x.fmu') }),
        (e: unknown) => isGatewayError(e) && e.code === 'COMPILE_FAILED' && /model\.c/.test(e.message),
      );
    });

    test('reports COMPILER_MISSING naming the package to install when no compiler is on PATH', async () => {
      const saved = { PATH: process.env.PATH, CC: process.env.CC };
      process.env.PATH = join(dir, 'empty-path');
      delete process.env.CC;
      try {
        assert.equal(findCCompiler(), undefined);
        await assert.rejects(
          buildFmu({ modelDir: join(MODELS, 'Dahlquist'), fmiVersion: '2.0', outFile: join(dir, 'x.fmu') }),
          (e: unknown) => isGatewayError(e) && e.code === 'COMPILER_MISSING' && /apt-get install gcc/.test(e.message),
        );
      } finally {
        process.env.PATH = saved.PATH;
        if (saved.CC !== undefined) process.env.CC = saved.CC;
      }
    });
  });
});
