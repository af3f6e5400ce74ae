/**
 * Int64 / UInt64 over their full range, through the service on the library's Feedthrough (FMI 3):
 * start values and input signals given as JSON numbers that doubles hold exactly (-2^63, 2^62)
 * or as decimal strings (2^63 − 1, 2^64 − 1, which no double holds), read back exactly in the
 * stored CSV. The request passes through the tool's zod schema as an agent's would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { WorkerPool } from '../../src/runner/types.ts';
import { SimulateInputSchema } from '../../src/schemas/simulate.ts';
import { readRunResult } from '../../src/service/read-run.ts';
import { simulate } from '../../src/service/simulate.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { buildModels, createTestContext, isCode } from './service-helpers.ts';

let ctx: ServiceContext;
let cleanup = () => {};
let pool: WorkerPool;
let inProcess: ServiceContext['runner'];

before(async () => {
  ({ ctx, cleanup } = createTestContext(await buildModels(['Feedthrough'])));
  inProcess = ctx.runner;
  pool = createWorkerPool({ size: 1, cacheDir: ctx.config.cacheDir, sandbox: 'auto', timeoutMs: 20_000 });
});
after(async () => {
  await pool.close();
  cleanup();
});

function csvColumns(text: string): Record<string, string[]> {
  const [head, ...rows] = text.trimEnd().split('\n');
  const names = (head as string).split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const r of rows) r.split(',').forEach((cell, i) => out[names[i] as string]?.push(cell));
  return out;
}

describe('Int64 / UInt64 over the full range', () => {
  for (const [iface, runner] of [
    ['CS', 'in-process'],
    ['ME', 'in-process'],
    ['CS', 'worker pool'],
  ] as const) {
    it(`keeps every digit in inputs, start values and the CSV (${iface}, ${runner})`, async () => {
      ctx.runner = runner === 'worker pool' ? pool : inProcess;
      const input = SimulateInputSchema.parse({
        fmu_id: 'msl:Feedthrough',
        fmi_version: '3.0',
        interface: iface,
        stop_time: 1,
        step: 0.25,
        outputs: ['Int64_output', 'UInt64_output'],
        start_values: { UInt64_input: '18446744073709551615' },
        input_signals: [{ name: 'Int64_input', time: [0, 0.5, 0.75], values: [-9223372036854775808, 2 ** 62, '9223372036854775807'] }],
      });
      const { output } = await simulate(ctx, input);
      const cols = csvColumns(readRunResult(ctx, output.run_id).readText());
      const grid = cols.time!.map(Number);
      const expected = (t: number) => (t < 0.5 ? '-9223372036854775808' : t < 0.75 ? '4611686018427387904' : '9223372036854775807');
      // ME records two rows at an input event: the first still shows the value before the jump.
      const left = (i: number) => grid[i + 1] === grid[i];
      cols.Int64_output!.forEach((cell, i) =>
        assert.equal(cell, expected(left(i) ? grid[i]! - 1e-9 : grid[i]!), `Int64_output at t = ${grid[i]}`),
      );
      assert.ok(cols.UInt64_output!.every((cell) => cell === '18446744073709551615'));
      assert.equal(output.summary.Int64_output?.final, 2 ** 63); // the nearest double of 2^63 − 1, inline
    });
  }

  it('refuses values just outside the range, with the range in the message', async () => {
    ctx.runner = inProcess;
    const run = (values: (number | string)[]) =>
      simulate(
        ctx,
        SimulateInputSchema.parse({
          fmu_id: 'msl:Feedthrough',
          fmi_version: '3.0',
          stop_time: 1,
          input_signals: [{ name: 'UInt64_input', time: [0], values }],
        }),
      );
    await assert.rejects(
      run(['18446744073709551616']),
      (e: Error) => isCode('INVALID_INPUT_SIGNAL')(e) && /18446744073709551615/.test(e.message),
    );
    await assert.rejects(run([-1]), isCode('INVALID_INPUT_SIGNAL'));
    await assert.rejects(run([0.5]), isCode('INVALID_INPUT_SIGNAL'));
    await assert.rejects(
      simulate(
        ctx,
        SimulateInputSchema.parse({
          fmu_id: 'msl:Feedthrough',
          fmi_version: '3.0',
          stop_time: 1,
          start_values: { Int64_input: '9223372036854775808' },
        }),
      ),
      isCode('INVALID_START_VALUE'),
    );
  });
});
