/**
 * Events and mixed interfaces in an ME system: the state events of a component (the library's
 * BouncingBall) are located for the whole system exactly as when the ball runs alone, while a
 * second component integrates beside it, driven by the ball's height; and a chain whose source
 * is stepped as Co-Simulation inside an ME system (communication points as time events).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { buildFixture, buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import { column, runLocalSystem } from '../helpers/systems.ts';

describe('events and mixed interfaces in systems', () => {
  let ball = '';
  let decay = '';
  before(async () => {
    ball = await buildLibraryModel('BouncingBall', '3.0');
    decay = await buildFixture('sys-decay', '2.0');
  });

  it("locates a component's state events for the system: bounces as when the ball runs alone", () => {
    const opts = { startTime: 0, stopTime: 3, outputInterval: 0.01, interface: 'ME' as const, solver: 'rk45' as const, tolerance: 1e-8 };
    const alone = runSimulation(openFixture(ball), { ...opts, outputs: ['h', 'bounces'] });
    const sys = runLocalSystem({
      fmus: { ball, f: decay },
      description: { components: { ball: 'msl:B', f: 'msl:F' }, connections: [['ball.h', 'f.u']] },
      interface: 'ME',
      options: { ...opts, outputs: ['ball.h', 'ball.bounces', 'f.x'], startValues: { 'f.x': 0 } },
    });
    assert.ok(alone.stats.events >= 3, `events alone: ${alone.stats.events}`);
    assert.equal(sys.stats.events, alone.stats.events);
    assert.equal(column(sys, 'ball.bounces')[sys.rows - 1], column(alone, 'bounces')[alone.rows - 1]);
    // Event rows are recorded at the located instants: the same times within the location tolerance.
    const times = (r: { time: Float64Array; eventRows?: Uint8Array }) => [...r.time].filter((_, i) => r.eventRows?.[i] === 1);
    const ta = times(alone);
    const ts = times(sys);
    assert.equal(ts.length, ta.length);
    for (let i = 0; i < ta.length; i++) assert.ok(Math.abs(ts[i]! - ta[i]!) < 1e-6, `event ${i}: ${ts[i]} vs ${ta[i]}`);
    // The follower integrates the ball's height: f.x' = -f.x + h, so it stays positive and below max h.
    const fx = column(sys, 'f.x');
    assert.ok(fx[sys.rows - 1]! > 0 && fx[sys.rows - 1]! < 1.1);
  });

  it('steps a Co-Simulation component inside an ME system at communication points (first-order coupling)', () => {
    const exact = (t: number): number => t * Math.exp(-t);
    const err = (h: number): number => {
      const r = runLocalSystem({
        fmus: { a: decay, b: decay },
        description: {
          components: { a: { fmu_id: 'msl:A', interface: 'CS' }, b: { fmu_id: 'msl:B', interface: 'ME' } },
          connections: [['a.x', 'b.u']],
        },
        communicationStep: h,
        options: {
          startTime: 0,
          stopTime: 1,
          outputInterval: 0.1,
          solver: 'rk45',
          tolerance: 1e-10,
          startValues: { 'b.x': 0 },
          outputs: ['b.x'],
        },
      });
      assert.equal(r.interface, 'ME');
      return Math.abs(column(r, 'b.x')[r.rows - 1]! - exact(1));
    };
    const e1 = err(0.02);
    const e2 = err(0.01);
    assert.ok(e1 < 0.02, `error ${e1}`);
    const order = Math.log2(e1 / e2);
    assert.ok(order > 0.8 && order < 1.2, `observed order ${order} (${e1}, ${e2})`);
  });
});
