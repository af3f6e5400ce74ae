/**
 * The bindings' side of the native stepping helper (stepper.ts, native/stepper.c), for FMI 3 and
 * FMI 2: the pointer and number blocks each chunk loop reads, in native memory of the instance,
 * and the translation of where a chunk stopped into what the call-by-call path would have seen
 * (statuses through the instance's checker, doStep's result, completedIntegratorStep's flags).
 * Per run(): a few writes into the number block and one koffi call; nothing allocated.
 */
import { GatewayError } from '../errors.ts';
import type { StatusChecker } from './checker.ts';
import type { VariableType } from '../schemas/model-description.ts';
import type { CsChunk, DoStepResult, EulerChunk, EulerChunkSpec, OutputGroup, StepCompletionResult } from './instance.ts';
import type { NativeArena } from './koffi-types.ts';
import { nativeStepper, stepperUse } from './stepper.ts';

/** Rows per chunk: one koffi call per this many steps; progress and cancellation are read between chunks. */
export const CHUNK_ROWS = 256;

/** Doubles per value in a chunk's running statistics (stepper.c put_row, src/engine/column-stats.ts). */
export const STATS_WORDS = 7;

/** The FMI functions a chunk loop calls, by role. */
export interface ChunkSymbols {
  doStep?: number;
  /** The get of one output type and its kind in stepper.c's get_groups; undefined: not read natively. */
  getter: (type: VariableType) => { addr: number; kind: number } | undefined;
  derivatives?: number;
  setTime?: number;
  setStates?: number;
  completed?: number;
}

export interface ChunkContext {
  version: 2 | 3;
  handle: number;
  arena: NativeArena;
  checker: StatusChecker;
  symbols: ChunkSymbols;
  /** False once the instance is freed. */
  live: () => boolean;
  /**
   * The binding's result for a doStep that was not plain, as its doStep() makes it (Error / Fatal
   * throw): the raw status, the step, and (FMI 3) the out-arguments the loop received.
   */
  notPlainStep: (status: number, currentTime: number, stepSize: number, flags: Uint8Array, lastSuccessfulTime: number) => DoStepResult;
  completion: StepCompletionResult;
}

interface Block<T> {
  view: T;
  addr: number;
}

function f64(arena: NativeArena, n: number): Block<Float64Array> | undefined {
  const m = arena.alloc(8 * Math.max(1, n));
  return m.addr === undefined ? undefined : { view: new Float64Array(m.buffer, m.offset, Math.max(1, n)), addr: m.addr };
}

function u64(arena: NativeArena, values: number[]): Block<BigUint64Array> | undefined {
  const m = arena.alloc(8 * values.length);
  if (m.addr === undefined) return undefined;
  const view = new BigUint64Array(m.buffer, m.offset, values.length);
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
  if (fill) new Ctor(m.buffer, m.offset, fill.length).set(fill);
  return m.addr;
}

/** stepper.c's output group table (6 words per group), or undefined when a type is not read natively. */
function groupTable(ctx: ChunkContext, groups: readonly OutputGroup[]): number | undefined {
  const words: number[] = [];
  for (const g of groups) {
    if (g.stateIndex !== undefined) {
      const sidx = bytes(ctx.arena, g.stateIndex.length, g.stateIndex, Int32Array);
      if (sidx === undefined) return undefined;
      words.push(0, sidx, 0, g.nValues, 5, 0);
      continue;
    }
    const get = ctx.symbols.getter(g.type);
    const vrAddr = bytes(ctx.arena, g.vrs.length, g.vrs);
    const scratch = bytes(ctx.arena, g.nValues);
    if (get === undefined || vrAddr === undefined || scratch === undefined) return undefined;
    words.push(get.addr, vrAddr, g.vrs.length, g.nValues, get.kind, scratch);
  }
  return words.length === 0 ? 0 : u64(ctx.arena, words)?.addr;
}

function live(ctx: ChunkContext): void {
  if (!ctx.live()) throw new GatewayError('INTERNAL', 'FMI 3 instance used after free().');
}

export function prepareCsChunk(ctx: ChunkContext, groups: readonly OutputGroup[]): CsChunk | undefined {
  const stepper = nativeStepper();
  const doStep = ctx.symbols.doStep;
  if (stepper === undefined || doStep === undefined) return undefined;
  const table = groupTable(ctx, groups);
  if (table === undefined) return undefined;
  const nValues = groups.reduce((n, g) => n + g.nValues, 0);
  const a = ctx.arena;
  const stride = nValues + 1;
  const rows = f64(a, CHUNK_ROWS * stride);
  const d = f64(a, 15);
  const flagsMem = a.alloc(3);
  const last = f64(a, 1);
  const stats = f64(a, STATS_WORDS * nValues);
  const vals = f64(a, nValues);
  if (
    rows === undefined ||
    d === undefined ||
    flagsMem.addr === undefined ||
    last === undefined ||
    stats === undefined ||
    vals === undefined
  )
    return undefined;
  const p = u64(a, [ctx.handle, doStep, table, 0, rows.addr, flagsMem.addr, last.addr, stats.addr, vals.addr]);
  if (p === undefined) return undefined;
  const flags = new Uint8Array(flagsMem.buffer, flagsMem.offset, 3);
  const dv = d.view;
  dv[6] = groups.length;
  dv[7] = nValues;
  dv[11] = ctx.version;
  dv[14] = CHUNK_ROWS;
  const call = stepper.cs;
  const pAddr = p.addr;
  const dAddr = d.addr;
  const chunk: CsChunk & { outcome: number; t: number; result: DoStepResult } = {
    rows: rows.view.subarray(0, CHUNK_ROWS * stride),
    capacity: CHUNK_ROWS,
    stats: stats.view.subarray(0, STATS_WORDS * nValues),
    outcome: 0,
    result: undefined as unknown as DoStepResult, // set with outcome 1
    t: 0,
    run(
      startTime: number,
      stopTime: number,
      interval: number,
      t: number,
      i: number,
      end: number,
      rowBase: number,
      lastRowTime: number,
    ): number {
      live(ctx);
      dv[12] = rowBase;
      dv[13] = lastRowTime;
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
        // The step from chunk.t: its result as the binding's doStep() makes it (Error / Fatal throw here).
        const from = chunk.t;
        const to = gridTime(startTime, stopTime, interval, (i as number) + (dv[8] as number));
        chunk.result = ctx.notPlainStep(dv[10] as number, from, to - from, flags, last.view[0] as number);
      }
      return dv[8] as number;
    },
  };
  return chunk;
}

/** gridTime of src/engine/recorder.ts (the loop's own grid; the engine does not reach into fmi/). */
function gridTime(startTime: number, stopTime: number, interval: number, i: number): number {
  const t = startTime + i * interval;
  return t > stopTime || stopTime - t <= 1e-9 * interval ? stopTime : t;
}

const ME_FUNCTIONS = {
  2: ['', 'fmi2SetTime', 'fmi2SetContinuousStates', 'fmi2CompletedIntegratorStep'],
  3: ['', 'fmi3SetTime', 'fmi3SetContinuousStates', 'fmi3CompletedIntegratorStep'],
};

export function prepareEulerChunk(ctx: ChunkContext, spec: EulerChunkSpec): EulerChunk | undefined {
  const stepper = nativeStepper();
  const s = ctx.symbols;
  const need = [s.derivatives, s.setTime, s.setStates, s.completed];
  if (stepper === undefined || need.some((n) => n === undefined) || spec.nx < 1) return undefined;
  const table = groupTable(ctx, spec.groups);
  if (table === undefined) return undefined;
  const a = ctx.arena;
  const stride = spec.nValues + 1;
  const rows = f64(a, CHUNK_ROWS * stride);
  const d = f64(a, 28);
  const x = f64(a, spec.nx);
  const xPrev = f64(a, spec.nx);
  const dx = f64(a, spec.nx);
  const flagsMem = a.alloc(8); // two C bools (FMI 3) or two ints (FMI 2)
  const stats = f64(a, STATS_WORDS * spec.nValues);
  const vals = f64(a, spec.nValues);
  if (
    rows === undefined ||
    d === undefined ||
    x === undefined ||
    xPrev === undefined ||
    dx === undefined ||
    flagsMem.addr === undefined ||
    stats === undefined ||
    vals === undefined
  )
    return undefined;
  const p = u64(a, [
    ctx.handle,
    s.derivatives as number,
    s.setTime as number,
    s.setStates as number,
    s.completed as number,
    table,
    x.addr,
    xPrev.addr,
    dx.addr,
    stats.addr,
    vals.addr,
    rows.addr,
    flagsMem.addr,
  ]);
  if (p === undefined) return undefined;
  const flags = new Uint8Array(flagsMem.buffer, flagsMem.offset, 2);
  const flags2 = new Int32Array(flagsMem.buffer, flagsMem.offset, 2);
  const v3 = ctx.version === 3;
  const names = ME_FUNCTIONS[ctx.version];
  const dv = d.view;
  dv[25] = ctx.version;
  dv[0] = spec.nx;
  dv[1] = spec.nValues;
  dv[3] = spec.groups.length;
  dv[4] = spec.completedIntegratorStep ? 1 : 0;
  dv[13] = CHUNK_ROWS;
  const call = stepper.meEuler;
  const pAddr = p.addr;
  const dAddr = d.addr;
  const completion = ctx.completion;
  const chunk = {
    rows: rows.view.subarray(0, CHUNK_ROWS * stride),
    capacity: CHUNK_ROWS,
    stats: stats.view.subarray(0, STATS_WORDS * spec.nValues),
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
      rowBase: number,
      lastRowTime: number,
    ): void {
      live(ctx);
      dv[26] = rowBase;
      dv[27] = lastRowTime;
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
      if (dv[23] !== 0) ctx.checker.check(names[dv[24] as number] ?? 'setTime', dv[23] as number);
      if (outcome === 3) {
        const fn = names[dv[21] as number] ?? 'setTime';
        const status = dv[22] as number;
        ctx.checker.check(fn, status);
        throw ctx.checker.failure(fn, status);
      }
      if (outcome === 4) {
        completion.enterEventMode = v3 ? flags[0] !== 0 : flags2[0] !== 0;
        completion.terminateSimulation = v3 ? flags[1] !== 0 : flags2[1] !== 0;
      }
    },
  };
  return chunk;
}
