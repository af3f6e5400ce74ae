/**
 * SUNDIALS CVODE through koffi, when the system has it (Debian: libsundials-cvode6, one shared
 * library that also carries the serial N_Vector, the dense matrix and the dense linear solver).
 * Optional: cvodeAvailability() says whether it loaded and, if not, why; nothing here is loaded
 * until a run asks for solver "cvode". The ODE-solver adapter is src/engine/solvers/cvode.ts.
 *
 * Written against the SUNDIALS 6 C API (SUNContext_Create(void *comm, ...), CVodeSetErrHandlerFn);
 * SUNDIALS 7 changed both, so only the .so.6 soname is loaded.
 *
 * Hot path: one registered RHS trampoline for the whole process (koffi callbacks are a limited
 * resource, and CVODE calls are synchronous on this thread): before each native call the session
 * becomes `active`, and the trampoline hands CVODE's vectors to its right-hand side as cached
 * Float64Array views keyed by their data address. Nothing is allocated per step or per RHS call
 * once every vector CVODE uses has been seen (its internal vectors and the Jacobian's columns).
 */
import { GatewayError } from '../errors.ts';
import { CVODE_DEBIAN_PACKAGE } from './cvode-package.ts';
import { koffi } from './koffi-types.ts';

/** Debian's soname; SUNDIALS 6.x. */
export const CVODE_LIBRARY_NAMES: readonly string[] = ['libsundials_cvode.so.6'];
let libraryNames: readonly string[] = CVODE_LIBRARY_NAMES;
export { CVODE_DEBIAN_PACKAGE };

const CV_BDF = 2;
const CV_ONE_STEP = 2;
export const CV_TSTOP_RETURN = 1;

/** CVODE return flags → names (cvode.h), for messages. */
const FLAG_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'CV_TOO_MUCH_WORK',
  [-2]: 'CV_TOO_MUCH_ACC',
  [-3]: 'CV_ERR_FAILURE',
  [-4]: 'CV_CONV_FAILURE',
  [-5]: 'CV_LINIT_FAIL',
  [-6]: 'CV_LSETUP_FAIL',
  [-7]: 'CV_LSOLVE_FAIL',
  [-8]: 'CV_RHSFUNC_FAIL',
  [-9]: 'CV_FIRST_RHSFUNC_ERR',
  [-10]: 'CV_REPTD_RHSFUNC_ERR',
  [-11]: 'CV_UNREC_RHSFUNC_ERR',
  [-20]: 'CV_MEM_FAIL',
  [-21]: 'CV_MEM_NULL',
  [-22]: 'CV_ILL_INPUT',
  [-25]: 'CV_BAD_T',
  [-27]: 'CV_TOO_CLOSE',
};

export function cvodeFlagName(flag: number): string {
  return FLAG_NAMES[flag] ?? `CVODE flag ${flag}`;
}

/** A bound native function (koffi returns numbers for int and uint64_t results). */
type Fn = (...args: unknown[]) => number;

interface CvodeApi {
  SUNContext_Create: Fn;
  SUNContext_Free: Fn;
  N_VMake_Serial: Fn;
  N_VDestroy: Fn;
  N_VGetArrayPointer: Fn;
  SUNDenseMatrix: Fn;
  SUNMatDestroy: Fn;
  SUNLinSol_Dense: Fn;
  SUNLinSolFree: Fn;
  CVodeCreate: Fn;
  CVodeInit: Fn;
  CVodeReInit: Fn;
  CVodeSVtolerances: Fn;
  CVodeSetLinearSolver: Fn;
  CVodeSetMaxStep: Fn;
  CVodeSetMinStep: Fn;
  CVodeSetInitStep: Fn;
  CVodeSetStopTime: Fn;
  CVodeSetErrHandlerFn: Fn;
  CVode: Fn;
  CVodeGetDky: Fn;
  CVodeGetNumSteps: Fn;
  CVodeGetNumRhsEvals: Fn;
  CVodeGetNumLinRhsEvals: Fn;
  CVodeGetNumErrTestFails: Fn;
  CVodeGetNumNonlinSolvConvFails: Fn;
  CVodeGetNumLinSolvSetups: Fn;
  CVodeGetNumJacEvals: Fn;
  CVodeFree: Fn;
}

// Pointers cross as uint64_t numbers (addresses below 2^53 on every 64-bit OS we run on), which
// keeps koffi on its fast path and avoids a bigint per call; sunindextype is int64_t in Debian's build.
const SIGNATURES: Readonly<Record<keyof CvodeApi, [string, string[]]>> = {
  SUNContext_Create: ['int', ['uint64_t', 'uint64_t']],
  SUNContext_Free: ['int', ['uint64_t']],
  N_VMake_Serial: ['uint64_t', ['int64_t', 'uint64_t', 'uint64_t']],
  N_VDestroy: ['void', ['uint64_t']],
  N_VGetArrayPointer: ['uint64_t', ['uint64_t']],
  SUNDenseMatrix: ['uint64_t', ['int64_t', 'int64_t', 'uint64_t']],
  SUNMatDestroy: ['void', ['uint64_t']],
  SUNLinSol_Dense: ['uint64_t', ['uint64_t', 'uint64_t', 'uint64_t']],
  SUNLinSolFree: ['int', ['uint64_t']],
  CVodeCreate: ['uint64_t', ['int', 'uint64_t']],
  CVodeInit: ['int', ['uint64_t', 'uint64_t', 'double', 'uint64_t']],
  CVodeReInit: ['int', ['uint64_t', 'double', 'uint64_t']],
  CVodeSVtolerances: ['int', ['uint64_t', 'double', 'uint64_t']],
  CVodeSetLinearSolver: ['int', ['uint64_t', 'uint64_t', 'uint64_t']],
  CVodeSetMaxStep: ['int', ['uint64_t', 'double']],
  CVodeSetMinStep: ['int', ['uint64_t', 'double']],
  CVodeSetInitStep: ['int', ['uint64_t', 'double']],
  CVodeSetStopTime: ['int', ['uint64_t', 'double']],
  CVodeSetErrHandlerFn: ['int', ['uint64_t', 'uint64_t', 'uint64_t']],
  CVode: ['int', ['uint64_t', 'double', 'uint64_t', 'uint64_t', 'int']],
  CVodeGetDky: ['int', ['uint64_t', 'double', 'int', 'uint64_t']],
  CVodeGetNumSteps: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumRhsEvals: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumLinRhsEvals: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumErrTestFails: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumNonlinSolvConvFails: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumLinSolvSetups: ['int', ['uint64_t', 'uint64_t']],
  CVodeGetNumJacEvals: ['int', ['uint64_t', 'uint64_t']],
  CVodeFree: ['void', ['uint64_t']],
};

interface Loaded {
  api: CvodeApi;
  rhs: number;
  errHandler: number;
}

export type CvodeAvailability = { available: true; library: string } | { available: false; reason: string };

let loaded: Loaded | undefined;
let availability: CvodeAvailability | undefined;
/** The session whose CVODE call is in progress (calls are synchronous, so one at a time). */
let active: CvodeSession | undefined;
function setActive(s: CvodeSession | undefined): void {
  active = s;
}

/** Whether SUNDIALS CVODE can be used here (loads it on first call; the answer is cached). */
export function cvodeAvailability(): CvodeAvailability {
  if (availability !== undefined) return availability;
  const reasons: string[] = [];
  for (const name of libraryNames) {
    let lib;
    try {
      lib = koffi.load(name);
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    try {
      const api = {} as Record<string, Fn>;
      for (const [fn, [ret, args]] of Object.entries(SIGNATURES)) api[fn] = lib.func(fn, ret, args) as Fn;
      const rhsProto = koffi.proto('int fmugw_cvode_rhs(double t, uint64_t y, uint64_t ydot, uint64_t userData)');
      const errProto = koffi.proto(
        'void fmugw_cvode_err(int errorCode, const char *module, const char *function, const char *msg, uint64_t userData)',
      );
      // Registered once for the life of the process (see the module comment).
      const rhs = Number(koffi.register(rhsTrampoline, koffi.pointer(rhsProto)) as bigint);
      const errHandler = Number(koffi.register(errTrampoline, koffi.pointer(errProto)) as bigint);
      loaded = { api: api as unknown as CvodeApi, rhs, errHandler };
      availability = { available: true, library: name };
      return availability;
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  availability = { available: false, reason: reasons.join('; ') || 'not found' };
  return availability;
}

/**
 * Which sonames to try (default CVODE_LIBRARY_NAMES); forgets a previous answer. Lets a test show
 * the fallback on a machine that has CVODE, by naming a library that does not exist. An already
 * loaded library stays loaded (and is used again once the names are reset).
 */
export function setCvodeLibraryNames(names: readonly string[] = CVODE_LIBRARY_NAMES): void {
  libraryNames = names;
  availability = undefined;
  if (names === CVODE_LIBRARY_NAMES && loaded !== undefined) availability = { available: true, library: names[0] ?? '' };
}

function rhsTrampoline(t: number, y: number, ydot: number, _userData: number): number {
  const s = active;
  if (s === undefined) return -1;
  try {
    const dx = s.view(ydot);
    s.f(t, s.view(y), dx);
    // Non-finite derivatives (an FMU outside its domain): a recoverable failure, CVODE retries smaller.
    for (let i = 0; i < dx.length; i++) if (!Number.isFinite(dx[i] as number)) return 1;
    return 0;
  } catch (e) {
    s.failure = e; // rethrown by the caller of CVode: an exception must not unwind through C frames
    return -1;
  }
}

function errTrampoline(_code: number, _module: string, fn: string, msg: string, _userData: number): void {
  if (active !== undefined) active.lastMessage = `${fn}: ${msg}`;
}

/** Right-hand side: write dx/dt at (t, x) into dx. */
export type CvodeRhs = (t: number, x: Float64Array, dx: Float64Array) => void;

/** Native memory of one session: plain addresses, freed by freeNative (explicitly or by the GC). */
interface NativeHandles {
  ctx: number;
  mem: number;
  y: number;
  atol: number;
  dky: number;
  matrix: number;
  linsol: number;
  blocks: bigint[];
}

function freeNative(h: NativeHandles): void {
  const api = loaded?.api;
  if (api === undefined) return;
  const slot = koffi.alloc('uint64_t', 1) as bigint;
  const slotView = new BigUint64Array(koffi.view(slot, 8));
  try {
    if (h.mem !== 0) {
      slotView[0] = BigInt(h.mem);
      api.CVodeFree(Number(slot));
    }
    if (h.linsol !== 0) api.SUNLinSolFree(h.linsol);
    if (h.matrix !== 0) api.SUNMatDestroy(h.matrix);
    for (const v of [h.y, h.atol, h.dky]) if (v !== 0) api.N_VDestroy(v);
    if (h.ctx !== 0) {
      slotView[0] = BigInt(h.ctx);
      api.SUNContext_Free(Number(slot));
    }
  } finally {
    koffi.free(slot);
    for (const b of h.blocks) koffi.free(b);
    h.blocks.length = 0;
    h.mem = h.ctx = h.y = h.atol = h.dky = h.matrix = h.linsol = 0;
  }
}

const finalizer = new FinalizationRegistry<NativeHandles>(freeNative);

/** The integrator counters CVODE keeps (since the last init/reinit). */
export interface CvodeCounters {
  steps: number;
  rhsEvaluations: number;
  errorTestFailures: number;
  convergenceFailures: number;
  linearSetups: number;
  jacobianEvaluations: number;
}

/**
 * One CVODE integrator (BDF, Newton iteration, dense linear solver with CVODE's difference-quotient
 * Jacobian) over n states. Throws SIMULATION_FAILED (not available → INTERNAL: callers check
 * cvodeAvailability() first and choose another solver).
 */
export class CvodeSession {
  readonly n: number;
  /** State vector (CVODE's y, in native memory). */
  readonly y: Float64Array;
  /** Time reached by the last call of step(). */
  readonly tret: Float64Array;
  readonly f: CvodeRhs;
  failure: unknown;
  lastMessage = '';
  private readonly h: NativeHandles;
  private readonly atolView: Float64Array;
  private readonly dkyView: Float64Array;
  private readonly tretAddr: number;
  private readonly counter: BigInt64Array;
  private readonly counterAddr: number;
  private readonly views = new Map<number, Float64Array>();
  private initialized = false;

  constructor(n: number, f: CvodeRhs) {
    if (cvodeAvailability().available !== true || loaded === undefined) {
      throw new GatewayError('INTERNAL', 'CvodeSession created without SUNDIALS CVODE being available.');
    }
    const api = loaded.api;
    this.n = n;
    this.f = f;
    this.h = { ctx: 0, mem: 0, y: 0, atol: 0, dky: 0, matrix: 0, linsol: 0, blocks: [] };
    finalizer.register(this, this.h, this);
    const block = (bytes: number): { addr: number; buffer: ArrayBuffer } => {
      const ptr = koffi.alloc('uint8_t', bytes) as bigint;
      this.h.blocks.push(ptr);
      return { addr: Number(ptr), buffer: koffi.view(ptr, bytes) };
    };
    const ctxSlot = block(8);
    this.check(api.SUNContext_Create(0, ctxSlot.addr), 'SUNContext_Create');
    this.h.ctx = Number(new BigUint64Array(ctxSlot.buffer)[0]);
    const vector = (): { vec: number; view: Float64Array } => {
      const data = block(8 * n);
      const vec = api.N_VMake_Serial(n, data.addr, this.h.ctx);
      if (vec === 0) throw this.failed('N_VMake_Serial returned NULL');
      const view = new Float64Array(data.buffer);
      this.views.set(data.addr, view);
      return { vec, view };
    };
    const y = vector();
    this.h.y = y.vec;
    this.y = y.view;
    const atol = vector();
    this.h.atol = atol.vec;
    this.atolView = atol.view;
    const dky = vector();
    this.h.dky = dky.vec;
    this.dkyView = dky.view;
    const tret = block(8);
    this.tret = new Float64Array(tret.buffer);
    this.tretAddr = tret.addr;
    const counter = block(8);
    this.counter = new BigInt64Array(counter.buffer);
    this.counterAddr = counter.addr;
    this.h.mem = api.CVodeCreate(CV_BDF, this.h.ctx);
    if (this.h.mem === 0) throw this.failed('CVodeCreate returned NULL');
    this.h.matrix = api.SUNDenseMatrix(n, n, this.h.ctx);
    if (this.h.matrix === 0) throw this.failed('SUNDenseMatrix returned NULL');
    this.h.linsol = api.SUNLinSol_Dense(this.h.y, this.h.matrix, this.h.ctx);
    if (this.h.linsol === 0) throw this.failed('SUNLinSol_Dense returned NULL');
  }

  /** Cached view of a CVODE vector's data (the trampoline's lookup). */
  view(vec: number): Float64Array {
    const api = (loaded as Loaded).api;
    const addr = api.N_VGetArrayPointer(vec);
    let v = this.views.get(addr);
    if (v === undefined) {
      v = new Float64Array(koffi.view(BigInt(addr), 8 * this.n));
      this.views.set(addr, v);
    }
    return v;
  }

  /** (Re)start at (t, x): CVodeInit the first time (then the solver setup), CVodeReInit after. */
  start(t: number, x: Float64Array, rtol: number, atol: Float64Array): void {
    const l = loaded as Loaded;
    this.y.set(x);
    this.atolView.set(atol);
    if (!this.initialized) {
      this.call(() => l.api.CVodeInit(this.h.mem, l.rhs, t, this.h.y), 'CVodeInit');
      this.call(() => l.api.CVodeSetErrHandlerFn(this.h.mem, l.errHandler, 0), 'CVodeSetErrHandlerFn');
      this.call(() => l.api.CVodeSVtolerances(this.h.mem, rtol, this.h.atol), 'CVodeSVtolerances');
      this.call(() => l.api.CVodeSetLinearSolver(this.h.mem, this.h.linsol, this.h.matrix), 'CVodeSetLinearSolver');
      this.initialized = true;
    } else {
      this.call(() => l.api.CVodeReInit(this.h.mem, t, this.h.y), 'CVodeReInit');
    }
  }

  setTolerances(rtol: number, atol: Float64Array): void {
    this.atolView.set(atol);
    const l = loaded as Loaded;
    this.call(() => l.api.CVodeSVtolerances(this.h.mem, rtol, this.h.atol), 'CVodeSVtolerances');
  }

  /** hmax (Infinity: none), hmin, and the first step after a (re)start (0: CVODE estimates it). */
  setStepBounds(maxStep: number, minStep: number, initialStep: number): void {
    const api = (loaded as Loaded).api;
    this.call(() => api.CVodeSetMaxStep(this.h.mem, Number.isFinite(maxStep) ? maxStep : 0), 'CVodeSetMaxStep');
    if (minStep > 0) this.call(() => api.CVodeSetMinStep(this.h.mem, minStep), 'CVodeSetMinStep');
    if (initialStep > 0) this.call(() => api.CVodeSetInitStep(this.h.mem, initialStep), 'CVodeSetInitStep');
  }

  /**
   * One internal step towards tStop, never past it: returns CVODE's flag (≥ 0 success,
   * CV_TSTOP_RETURN when tStop was reached); the time reached is in tret[0], the state in y.
   * Negative flags are returned, not thrown: the adapter words the error.
   */
  step(tStop: number): number {
    const api = (loaded as Loaded).api;
    const mem = this.h.mem;
    setActive(this);
    try {
      const set = api.CVodeSetStopTime(mem, tStop);
      if (set < 0) return set;
      return api.CVode(mem, tStop, this.h.y, this.tretAddr, CV_ONE_STEP);
    } finally {
      active = undefined;
    }
  }

  /** The interpolated state at tq (inside the last step) into out. */
  interpolate(tq: number, out: Float64Array): void {
    const api = (loaded as Loaded).api;
    setActive(this);
    let flag: number;
    try {
      flag = api.CVodeGetDky(this.h.mem, tq, 0, this.h.dky);
    } finally {
      active = undefined;
    }
    if (flag < 0) throw this.failed(`CVodeGetDky(t = ${tq}) failed: ${cvodeFlagName(flag)} ${this.lastMessage}`);
    out.set(this.dkyView);
  }

  /** CVODE's counters since the last start (not on the hot path: a few native calls). */
  counters(out: CvodeCounters): CvodeCounters {
    const api = (loaded as Loaded).api;
    const read = (fn: Fn): number => {
      this.counter[0] = 0n;
      fn(this.h.mem, this.counterAddr);
      return Number(this.counter[0]);
    };
    out.steps = read(api.CVodeGetNumSteps);
    out.rhsEvaluations = read(api.CVodeGetNumRhsEvals) + read(api.CVodeGetNumLinRhsEvals);
    out.errorTestFailures = read(api.CVodeGetNumErrTestFails);
    out.convergenceFailures = read(api.CVodeGetNumNonlinSolvConvFails);
    out.linearSetups = read(api.CVodeGetNumLinSolvSetups);
    out.jacobianEvaluations = read(api.CVodeGetNumJacEvals);
    return out;
  }

  /** Frees the native memory now (otherwise the garbage collector does it). */
  dispose(): void {
    finalizer.unregister(this);
    freeNative(this.h);
  }

  /** An error thrown by the right-hand side during the last call, cleared. */
  takeFailure(): unknown {
    const f = this.failure;
    this.failure = undefined;
    return f;
  }

  private call(fn: () => number, name: string): void {
    setActive(this);
    let flag: number;
    try {
      flag = fn();
    } finally {
      active = undefined;
    }
    this.check(flag, name);
  }

  private check(flag: number, name: string): void {
    const failure = this.takeFailure();
    if (failure !== undefined) throw failure;
    if (flag < 0) throw this.failed(`${name} failed: ${cvodeFlagName(flag)}${this.lastMessage ? ` (${this.lastMessage})` : ''}`);
  }

  private failed(message: string): GatewayError {
    return new GatewayError('SIMULATION_FAILED', `SUNDIALS CVODE: ${message}`, { solver: 'cvode' });
  }
}
