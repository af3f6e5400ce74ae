import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { GatewayError } from '../../../src/errors.ts';
import { toErrorOutput } from '../../../src/schemas/errors.ts';
import {
  createSimulateInputSchema,
  estimateRows,
  KPI_PATTERN,
  SimulateInputSchema,
  SimulateOutputSchema,
  SweepInputSchema,
  type SimulateCompleted,
} from '../../../src/schemas/simulate.ts';

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  assert.equal(result.success, false, 'expected a rejection');
  return result.error?.issues ?? [];
}

describe('SimulateInput', () => {
  it('accepts a full request and keeps every field', () => {
    const req = {
      fmu_id: 'msl:BouncingBall',
      fmi_version: '3.0',
      start_time: 0,
      stop_time: 3,
      step: 0.01,
      interface: 'ME',
      solver: 'rk45',
      tolerance: 1e-6,
      start_values: { e: 0.7, on: true, label: 'x' },
      input_signals: [{ name: 'u', time: [0, 1, 1, 2], values: [0, 0, 1, 1], interpolation: 'hold' }],
      outputs: ['h', 'v'],
      kpis: ['h_max', 'v_settling_time', 'der(h)_rms'],
      max_points: 100,
      plot: true,
      payment_token: 'tok',
      payment_method: 'stripe_checkout',
    };
    assert.deepEqual(SimulateInputSchema.parse(req), req);
  });

  it('accepts an uploaded sha256 id and rejects malformed ids', () => {
    assert.ok(SimulateInputSchema.safeParse({ fmu_id: `sha256:${'a'.repeat(64)}`, stop_time: 1 }).success);
    for (const bad of ['BouncingBall', 'sha256:ABC', `sha256:${'a'.repeat(63)}`, 'msl:', 'msl:1x']) {
      const [issue] = issues(SimulateInputSchema.safeParse({ fmu_id: bad, stop_time: 1 }));
      assert.deepEqual(issue?.path, ['fmu_id'], bad);
      assert.match(issue?.message ?? '', /msl:<Name>/);
    }
  });

  it('rejects stop_time before start_time', () => {
    const [issue] = issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', start_time: 2, stop_time: 1 }));
    assert.deepEqual(issue?.path, ['stop_time']);
    assert.match(issue?.message ?? '', /stop_time \(1\) must be greater than start_time \(2\)/);
  });

  it('rejects stop_time equal to the default start time 0', () => {
    const [issue] = issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 0 }));
    assert.deepEqual(issue?.path, ['stop_time']);
  });

  it('rejects a non-positive step', () => {
    for (const step of [0, -0.1]) {
      const [issue] = issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, step }));
      assert.deepEqual(issue?.path, ['step']);
      assert.match(issue?.message ?? '', /step must be > 0/);
    }
  });

  it('rejects more rows than the limit and says which step would fit', () => {
    const schema = createSimulateInputSchema({ maxOutputRows: 1000 });
    assert.ok(schema.safeParse({ fmu_id: 'msl:A', stop_time: 999, step: 1 }).success, '1000 rows fit');
    const [issue] = issues(schema.safeParse({ fmu_id: 'msl:A', stop_time: 1000, step: 1 }));
    assert.deepEqual(issue?.path, ['step']);
    assert.match(issue?.message ?? '', /1001 rows .* limit is 1000; use step >= 1\.001/);
  });

  it('rejects KPIs that are not <variable>_<metric>', () => {
    const [issue] = issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, kpis: ['h_max', 'h_median'] }));
    assert.deepEqual(issue?.path, ['kpis', 1]);
    assert.match(issue?.message ?? '', /metric one of rms, mean/);
  });

  it('splits KPI names on the last metric suffix', () => {
    assert.deepEqual(KPI_PATTERN.exec('body.x_pos_peak_to_peak')?.slice(1), ['body.x_pos', 'peak_to_peak']);
    assert.deepEqual(KPI_PATTERN.exec('x_rise_time')?.slice(1), ['x', 'rise_time']);
    assert.equal(KPI_PATTERN.exec('_max'), null);
  });

  it('rejects input signals with unequal lengths or decreasing time', () => {
    const unequal = issues(
      SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, input_signals: [{ name: 'u', time: [0, 1], values: [1] }] }),
    );
    assert.deepEqual(unequal[0]?.path, ['input_signals', 0, 'values']);
    assert.match(unequal[0]?.message ?? '', /time has 2 samples but values has 1/);
    const decreasing = issues(
      SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, input_signals: [{ name: 'u', time: [0, 2, 1], values: [1, 2, 3] }] }),
    );
    assert.deepEqual(decreasing[0]?.path, ['input_signals', 0, 'time', 2]);
  });

  it('rejects max_points above 5000 and non-finite numbers', () => {
    assert.deepEqual(issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, max_points: 5001 }))[0]?.path, ['max_points']);
    assert.deepEqual(issues(SimulateInputSchema.safeParse({ fmu_id: 'msl:A', stop_time: 1, start_values: { k: Number.NaN } }))[0]?.path, [
      'start_values',
      'k',
    ]);
  });

  it('estimates rows like the engine: both ends included despite rounding', () => {
    assert.equal(estimateRows(0, 1, 0.1), 11);
    assert.equal(estimateRows(0, 3, 0.01), 301);
    assert.equal(estimateRows(0, 1, 0.3), 5, 'stop off the grid is recorded too');
  });
});

describe('SweepInput', () => {
  it('rejects more than 1000 combinations', () => {
    const values = Array.from({ length: 40 }, (_, i) => i);
    const [issue] = issues(
      SweepInputSchema.safeParse({
        fmu_id: 'msl:A',
        stop_time: 1,
        parameters: [
          { name: 'a', values },
          { name: 'b', values },
        ],
      }),
    );
    assert.match(issue?.message ?? '', /1600 combinations/);
  });
});

describe('SimulateOutput envelope', () => {
  const completed: SimulateCompleted = {
    status: 'completed',
    run_id: 'r1',
    rows: 3,
    summary: { h: { min: 0, max: 1, mean: 0.5, final: null, unit: 'm' } },
    kpis: { h_max: 1, h_rise_time: null },
    series: { time: [0, 1, 2], h: [1, 0.5, null] },
    result_uri: 'fmu-gateway://runs/r1/result.csv',
    provenance: {
      fmu_id: 'msl:A',
      fmu_sha256: 'a'.repeat(64),
      model_name: 'A',
      engine_version: '0.1.0',
      fmi_version: '3.0',
      interface: 'CS',
      solver: null,
      tolerance: null,
      start_time: 0,
      stop_time: 2,
      step: 1,
      start_values: {},
      input_signals: [],
      outputs: ['h'],
      isolation: 'in-process',
      started_at: '2025-01-01T00:00:00.000Z',
    },
    stats: { steps: 2, events: 0, rejected_steps: 0, wall_ms: 1 },
    warnings: [],
  };

  it('round-trips a completed result', () => {
    assert.deepEqual(SimulateOutputSchema.parse(completed), completed);
  });

  it('rejects a completed result missing its required fields', () => {
    const { run_id: _drop, ...rest } = completed;
    const [issue] = issues(SimulateOutputSchema.safeParse(rest));
    assert.deepEqual(issue?.path, ['run_id']);
  });

  it('rejects an error status without error details', () => {
    assert.deepEqual(issues(SimulateOutputSchema.safeParse({ status: 'error' }))[0]?.path, ['error']);
  });

  it('turns a GatewayError into the error variant with a hint', () => {
    const out = toErrorOutput(new GatewayError('UNKNOWN_VARIABLE', 'no variable "q"', { valid_names: ['h', 'v'], big: 5n }));
    assert.deepEqual(out, {
      status: 'error',
      error: {
        code: 'UNKNOWN_VARIABLE',
        message: 'no variable "q"',
        hint: 'Call get_variables to list valid variable names.',
        data: { valid_names: ['h', 'v'], big: '5' },
      },
    });
    assert.ok(SimulateOutputSchema.safeParse(out).success);
  });

  it('lifts a hint given in data and hides unknown errors behind INTERNAL', () => {
    const out = toErrorOutput(new GatewayError('BAD_REQUEST', 'bad', { hint: 'do X' }));
    assert.equal(out.status === 'error' && out.error.hint, 'do X');
    assert.equal(out.status === 'error' && out.error.data, undefined);
    const internal = toErrorOutput(new TypeError('x is undefined'));
    assert.equal(internal.status === 'error' && internal.error.code, 'INTERNAL');
  });

  it('turns PAYMENT_REQUIRED with checkout data into the payment_required variant', () => {
    const data = {
      amount: 1,
      currency: 'usd',
      checkout_url: 'https://pay.example/c/1',
      session_id: 'cs_1',
      expires_at: '2025-01-01T01:00:00.000Z',
      methods: ['stripe_checkout'],
      next_steps: ['open', 'redeem', 'retry'],
    };
    const out = toErrorOutput(new GatewayError('PAYMENT_REQUIRED', 'pay first', data));
    assert.deepEqual(out, { status: 'payment_required', ...data });
    assert.ok(SimulateOutputSchema.safeParse(out).success);
    // Without checkout data it stays an error rather than an invalid payment_required result.
    assert.equal(toErrorOutput(new GatewayError('PAYMENT_REQUIRED', 'pay first')).status, 'error');
  });
});

describe('simulate schema documents the solver rules', () => {
  it('states the rule behind solver "auto" with the threshold the engine uses, and the fixed_step default', async () => {
    const { BDF_STATE_THRESHOLD } = await import('../../../src/engine/solvers/select.ts');
    const json = JSON.stringify(z.toJSONSchema(SimulateInputSchema));
    assert.match(json, new RegExp(`at least ${BDF_STATE_THRESHOLD} continuous states`));
    assert.match(json, /fixed_step[^}]*Default: step \(the output interval\)/);
  });
});
