/**
 * Discrete inputs are input events: the InputTable fixture (test/fixtures/input-table) copies a
 * continuous, a discrete Float64, an Int32, a Boolean, an Int64 and a String input to outputs and
 * integrates the discrete one (x' = u_d). The library adapter, like the FMI reference FMUs,
 * refuses a discrete input set in Continuous-Time Mode, so Model Exchange must set them in
 * Event Mode only. Every output is compared exactly with an independent evaluation of the
 * table (the test's own, not the engine's), x with the closed-form integral.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateCoSimulation } from '../../src/engine/cosim.ts';
import { simulateModelExchange } from '../../src/engine/model-exchange.ts';
import type { SimulationOptions, SimulationResult } from '../../src/engine/types.ts';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import type { InterfaceKind } from '../../src/schemas/model-description.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

async function run(fmiVersion: '2.0' | '3.0', iface: InterfaceKind, options: SimulationOptions): Promise<SimulationResult> {
  const fmu = openFixture(await buildFixture('input-table', fmiVersion));
  const lib = loadFmiLibrary(fmu, iface);
  try {
    const instance = lib.instantiate({ interface: iface, instanceName: 'InputTable' });
    try {
      return iface === 'ME' ? simulateModelExchange(instance, options) : simulateCoSimulation(instance, options);
    } finally {
      instance.free();
    }
  } finally {
    lib.unload();
  }
}

interface Table {
  time: number[];
  values: (number | boolean | string)[];
}

/** The table's value at t: the last sample at or before t (or strictly before it, for the left limit at a jump). */
function held(tab: Table, t: number, left: boolean): number | boolean | string {
  let k = 0;
  for (let i = 0; i < tab.time.length; i++) if (left ? tab.time[i]! < t : tab.time[i]! <= t) k = i;
  return tab.values[k]!;
}

/** Linear interpolation with repeated times as jumps (left: the limit from below). */
function linear(tab: Table, t: number, left: boolean): number {
  const ts = tab.time;
  const vs = tab.values as number[];
  if (t <= ts[0]!) return vs[0]!;
  if (t >= ts[ts.length - 1]! && !(left && t === ts[ts.length - 1])) return vs[vs.length - 1]!;
  for (let i = ts.length - 2; i >= 0; i--) {
    const a = ts[i]!,
      b = ts[i + 1]!;
    if (a === b) continue;
    if ((left ? a < t : a <= t) && t <= b) return vs[i]! + (vs[i + 1]! - vs[i]!) * ((t - a) / (b - a));
  }
  return vs[0]!;
}

const U_C: Table = { time: [0, 0.5, 0.5, 1.3, 2, 2, 3.1, 4], values: [0, 1, 3, 2, 5, 1, 0, 4] };
const U_D: Table = { time: [0, 0.5, 1.3, 2, 3.1], values: [1, -2, 0.5, 4, -1] };
const N: Table = { time: [0, 0.7, 1.3, 2.6], values: [0, 3, -7, 2147483647] };
const B: Table = { time: [0, 0.9, 1.9], values: [false, true, false] };
/** FMI 3: Int64 over its full range, as decimal strings (exact); FMI 2 has no Int64 (a Real there: exact to 2^53). */
const BIG3: Table = { time: [0, 1, 2, 3], values: ['-9223372036854775808', '4611686018427387904', '9223372036854775807', '-1'] };
const BIG2: Table = { time: [0, 1, 2, 3], values: [-(2 ** 53), 2 ** 52 + 1, 12345, -1] };
/** String input: a change is an input event too; a repeated value (at 2.6) is none. */
const LABEL: Table = { time: [0, 0.9, 2.6, 3.1], values: ['off', 'on, "quoted"', 'on, "quoted"', ''] };

/** Input jump times after the start: every change of a held input and every repeated time. */
const JUMPS = [0.5, 0.7, 0.9, 1, 1.3, 1.9, 2, 2.6, 3, 3.1];

/** ∫_0^t u_d: u_d is piecewise constant. */
function integralUd(t: number): number {
  let x = 0;
  for (let i = 0; i < U_D.time.length; i++) {
    const a = U_D.time[i]!,
      b = Math.min(t, U_D.time[i + 1] ?? Infinity);
    if (b > a) x += (U_D.values[i] as number) * (b - a);
  }
  return x;
}

function signals(big: Table) {
  return [
    { name: 'u_c', ...U_C },
    { name: 'u_d', ...U_D },
    { name: 'n', ...N },
    { name: 'b', ...B },
    { name: 'big', ...big },
    { name: 'label', ...LABEL },
  ] as SimulationOptions['inputSignals'];
}

function col(r: SimulationResult, name: string) {
  const c = r.columns.find((x) => x.name === name);
  assert.ok(c, `column ${name}`);
  return c;
}

/** Checks every row against the table; `left(i)` says whether row i shows the left limit (the row before an event). */
function checkRows(r: SimulationResult, fmiVersion: '2.0' | '3.0', left: (i: number) => boolean): void {
  const [yc, yd, yn, yb, ybig, ylabel] = ['y_c', 'y_d', 'y_n', 'y_b', 'y_big', 'y_label'].map((n) => col(r, n));
  const big = fmiVersion === '3.0' ? BIG3 : BIG2;
  for (let i = 0; i < r.rows; i++) {
    const t = r.time[i]!;
    const l = left(i);
    const at = `row ${i}, t = ${t}${l ? ' (left limit)' : ''}`;
    assert.ok(Math.abs((yc!.values[i] as number) - linear(U_C, t, l)) < 1e-9, `${at}: y_c ${yc!.values[i]} vs ${linear(U_C, t, l)}`);
    assert.equal(yd!.values[i], held(U_D, t, l), `${at}: y_d`);
    assert.equal(yn!.values[i], held(N, t, l), `${at}: y_n`);
    assert.equal(yb!.values[i], held(B, t, l) ? 1 : 0, `${at}: y_b`);
    assert.equal(ylabel!.values[i], held(LABEL, t, l), `${at}: y_label`);
    if (fmiVersion === '3.0') {
      assert.ok(ybig!.exact, 'Int64 column keeps exact values');
      assert.equal(ybig!.exact[i], BigInt(held(big, t, l) as string), `${at}: y_big`);
    } else {
      assert.equal(ybig!.values[i], held(big, t, l), `${at}: y_big`);
    }
  }
}

for (const v of ['2.0', '3.0'] as const) {
  describe(`discrete inputs from a table with jumps, FMI ${v}`, () => {
    it('Model Exchange: sets discrete inputs only in Event Mode, one event per jump, outputs exact against the table', async () => {
      const r = await run(v, 'ME', {
        startTime: 0,
        stopTime: 4,
        outputInterval: 0.25,
        tolerance: 1e-8,
        inputSignals: signals(v === '3.0' ? BIG3 : BIG2),
      });
      assert.equal(r.stats.events, JUMPS.length);
      const ev = r.eventRows!;
      const eventTimes = [...new Set([...ev].flatMap((e, i) => (e ? [r.time[i]!] : [])))];
      assert.deepEqual(eventTimes, JUMPS);
      // At an event the first of the two rows is recorded before it: left limits.
      checkRows(r, v, (i) => ev[i] === 1 && ev[i + 1] === 1 && r.time[i + 1] === r.time[i]);
      const x = col(r, 'x').values as Float64Array;
      for (let i = 0; i < r.rows; i++) assert.ok(Math.abs(x[i]! - integralUd(r.time[i]!)) < 1e-9, `x(${r.time[i]}) = ${x[i]}`);
      assert.equal(r.time[r.rows - 1], 4);
    });

    it('Co-Simulation: inputs set at each communication point, outputs exact against the table', async () => {
      const h = 0.25;
      const r = await run(v, 'CS', { startTime: 0, stopTime: 4, outputInterval: h, inputSignals: signals(v === '3.0' ? BIG3 : BIG2) });
      assert.equal(r.rows, 17);
      checkRows(r, v, () => false);
      // The FMU holds u_d(t_k) over [t_k, t_k + h]: x is the sum of those rectangles.
      const x = col(r, 'x').values as Float64Array;
      let ref = 0;
      for (let i = 0; i < r.rows; i++) {
        assert.ok(Math.abs(x[i]! - ref) < 1e-9, `x(${r.time[i]}) = ${x[i]} vs ${ref}`);
        ref += h * (held(U_D, r.time[i]!, false) as number);
      }
    });
  });
}
