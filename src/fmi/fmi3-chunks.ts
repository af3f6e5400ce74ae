/**
 * The FMI 3 side of the native stepping helper (stepper.ts, native/stepper.c): the pointer and
 * number blocks each chunk loop reads, in native memory of the instance, and the translation of
 * where a chunk stopped into what the call-by-call path would have seen (statuses through the
 * instance's checker, doStep's out-arguments, completedIntegratorStep's flags).
 * Per run(): a few writes into the number block and one koffi call; nothing allocated.
 */
import { GatewayError } from '../errors.ts';
import type { StatusChecker } from './checker.ts';
import type { CsChunk, DoStepResult, EulerChunk, EulerChunkSpec, StepCompletionResult } from './instance.ts';
import { type NativeArena, STATUS_DISCARD, statusName } from './koffi-types.ts';
import { nativeStepper, stepperUse } from './stepper.ts';

/** Rows per chunk: one koffi call per this many steps; progress and cancellation are read between chunks. */
export const CHUNK_ROWS = 256;

export interface ChunkContext {
  handle: number;
  arena: NativeArena;
  checker: StatusChecker;
  symbols: Readonly<Record<string, number>>;
  /** False once the instance is freed. */
  live: () => boolean;
  stepResult: DoStepResult;
  completion: StepCompletionResult;
}

interface Block<T> {
  view: T;
  addr: number;
}

function f64(arena: NativeArena, n: number): Block<Float64Array> | undefined {
  const m = arena.alloc(8 * Math.max(1, n));
  return m.addr === undefined ? undefined : { view: new Float64Array(m.buffer, 0, Math.max(1, n)), addr: m.addr };
}

function u64(arena: NativeArena, values: number[]): Block<BigUint64Array> | undefined {
  const m = arena.alloc(8 * values.length);
  if (m.addr === undefined) return undefined;
  const view = new BigUint64Array(m.buffer, 0, values.length);
  values.forEach((v, k) => (view[k] = BigInt(v)));
  return { view, addr: m.addr };
}

function bytes(
  arena: NativeArena,
  n: number,
  fill?: ArrayLike<number>,
  Ctor: Uint32ArrayConstructor | Int32ArrayConstructor = Uint32Array,
): number | undefined {
  const m = arena.alloc(Math.max(1, n) * 4);
  if (m.addr === undefined) return undefined;
  if (fill) new Ctor(m.buffer, 0, fill.length).set(fill);
  return m.addr;
}

function live(ctx: ChunkContext): void {
  if (!ctx.live()) throw new GatewayError('INTERNAL', 'FMI 3 instance used after free().');
}

export function prepareCs3Chunk(ctx: ChunkContext, vrs: Uint32Array, nValues: number): CsChunk | undefined {
  const stepper = nativeStepper();
  const doStep = ctx.symbols.fmi3DoStep;
  const get = ctx.symbols.fmi3GetFloat64;
  if (stepper === undefined || doStep === undefined || (nValues > 0 && get === undefined)) return undefined;
  const a = ctx.arena;
  const stride = nValues + 1;
  const rows = f64(a, CHUNK_ROWS * stride);
  const d = f64(a, 11);
  const flagsMem = a.alloc(3);
  const last = f64(a, 1);
  const vrAddr = bytes(a, vrs.length, vrs);
  if (rows === undefined || d === undefined || flagsMem.addr === undefined || last === undefined || vrAddr === undefined) return undefined;
  const p = u64(a, [ctx.handle, doStep, get ?? 0, vrAddr, rows.addr, flagsMem.addr, last.addr]);
  if (p === undefined) return undefined;
  const flags = new Uint8Array(flagsMem.buffer, 0, 3);
  const dv = d.view;
  dv[6] = vrs.length;
  dv[7] = nValues;
  const call = stepper.cs3;
  const pAddr = p.addr;
  const dAddr = d.addr;
  const r = ctx.stepResult;
  const chunk = {
    rows: rows.view.subarray(0, CHUNK_ROWS * stride),
    stride,
    capacity: CHUNK_ROWS,
    outcome: 0,
    result: r,
    t: 0,
    run(startTime: number, stopTime: number, interval: number, t: number, i: number, end: number): number {
      live(ctx);
      dv[0] = startTime;
      dv[1] = stopTime;
      dv[2] = interval;
      dv[3] = t;
      dv[4] = i;
      dv[5] = Math.min(end, i + CHUNK_ROWS);
      call(pAddr, dAddr);
      stepperUse.chunks++;
      const outcome = dv[9] as number;
      chunk.outcome = outcome;
      chunk.t = dv[3] as number;
      if (outcome === 1) {
        // As Fmi3InstanceImpl.doStep: Error / Fatal throw here, Discard or a terminate flag end the run.
        const raw = dv[10] as number;
        const status = raw === 0 ? 0 : ctx.checker.check('fmi3DoStep', raw);
        r.status = statusName(status);
        r.eventHandlingNeeded = flags[0] !== 0;
        r.terminate = status === STATUS_DISCARD || flags[1] !== 0;
        r.earlyReturn = flags[2] !== 0;
        r.lastSuccessfulTime = last.view[0] as number;
      }
      return dv[8] as number;
    },
  };
  return chunk;
}

const ME_FUNCTIONS = ['', 'fmi3SetTime', 'fmi3SetContinuousStates', 'fmi3CompletedIntegratorStep'];

export function prepareMe3EulerChunk(ctx: ChunkContext, spec: EulerChunkSpec): EulerChunk | undefined {
  const stepper = nativeStepper();
  const s = ctx.symbols;
  const byGet = spec.stateIndex === undefined;
  const need = ['fmi3GetContinuousStateDerivatives', 'fmi3SetTime', 'fmi3SetContinuousStates', 'fmi3CompletedIntegratorStep'];
  if (byGet && spec.nValues > 0) need.push('fmi3GetFloat64');
  if (stepper === undefined || need.some((n) => s[n] === undefined) || spec.nx < 1) return undefined;
  if (byGet && spec.nValues > 0 && spec.vrs === undefined) return undefined;
  const a = ctx.arena;
  const stride = spec.nValues + 1;
  const rows = f64(a, CHUNK_ROWS * stride);
  const d = f64(a, 25);
  const x = f64(a, spec.nx);
  const xPrev = f64(a, spec.nx);
  const dx = f64(a, spec.nx);
  const flagsMem = a.alloc(2);
  const sidx = bytes(a, spec.nValues, spec.stateIndex, Int32Array);
  const vrAddr = bytes(a, spec.vrs?.length ?? 0, spec.vrs);
  if (
    rows === undefined ||
    d === undefined ||
    x === undefined ||
    xPrev === undefined ||
    dx === undefined ||
    flagsMem.addr === undefined ||
    sidx === undefined ||
    vrAddr === undefined
  )
    return undefined;
  const p = u64(a, [
    ctx.handle,
    s.fmi3GetContinuousStateDerivatives as number,
    s.fmi3SetTime as number,
    s.fmi3SetContinuousStates as number,
    s.fmi3CompletedIntegratorStep as number,
    s.fmi3GetFloat64 ?? 0,
    x.addr,
    xPrev.addr,
    dx.addr,
    sidx,
    vrAddr,
    rows.addr,
    flagsMem.addr,
  ]);
  if (p === undefined) return undefined;
  const flags = new Uint8Array(flagsMem.buffer, 0, 2);
  const dv = d.view;
  dv[0] = spec.nx;
  dv[1] = spec.nValues;
  dv[2] = byGet ? 1 : 0;
  dv[3] = spec.vrs?.length ?? 0;
  dv[4] = spec.completedIntegratorStep ? 1 : 0;
  dv[13] = CHUNK_ROWS;
  const call = stepper.me3Euler;
  const pAddr = p.addr;
  const dAddr = d.addr;
  const completion = ctx.completion;
  const chunk = {
    rows: rows.view.subarray(0, CHUNK_ROWS * stride),
    stride,
    capacity: CHUNK_ROWS,
    x: x.view.subarray(0, spec.nx),
    xPrev: xPrev.view.subarray(0, spec.nx),
    outcome: 0,
    completion,
    t: 0,
    n0: 0,
    gridIndex: 0,
    steps: 0,
    written: 0,
    tPrev: 0,
    run(
      t0: number,
      n0: number,
      h: number,
      t: number,
      tPrev: number,
      tStop: number,
      startTime: number,
      stopTime: number,
      interval: number,
      gridIndex: number,
      points: number,
      maxSteps: number,
    ): void {
      live(ctx);
      dv[5] = t0;
      dv[6] = h;
      dv[7] = tStop;
      dv[8] = startTime;
      dv[9] = stopTime;
      dv[10] = interval;
      dv[11] = points;
      dv[12] = maxSteps;
      dv[14] = t;
      dv[15] = n0;
      dv[16] = gridIndex;
      dv[19] = tPrev;
      call(pAddr, dAddr);
      stepperUse.chunks++;
      chunk.t = dv[14] as number;
      chunk.n0 = dv[15] as number;
      chunk.gridIndex = dv[16] as number;
      chunk.steps = dv[17] as number;
      chunk.written = dv[18] as number;
      chunk.tPrev = dv[19] as number;
      const outcome = dv[20] as number;
      chunk.outcome = outcome;
      // Warnings (and Discard, which these calls report without consequence) as the call-by-call path keeps them.
      if (dv[23] !== 0) ctx.checker.check(ME_FUNCTIONS[dv[24] as number] ?? 'fmi3SetTime', dv[23] as number);
      if (outcome === 3) {
        const fn = ME_FUNCTIONS[dv[21] as number] ?? 'fmi3SetTime';
        const status = dv[22] as number;
        ctx.checker.check(fn, status);
        throw ctx.checker.failure(fn, status);
      }
      if (outcome === 4) {
        completion.enterEventMode = flags[0] !== 0;
        completion.terminateSimulation = flags[1] !== 0;
      }
    },
  };
  return chunk;
}
