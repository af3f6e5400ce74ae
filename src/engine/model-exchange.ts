/**
 * The Model Exchange driver (FMI 2.0 and 3.0 through the version-neutral FmiInstance):
 * initialization with its event iteration, then the continuous-time loop with our solvers.
 *
 * Per accepted step: the FMU is set to the step end, event indicators are compared with the
 * step start (a state event is *located* inside the step on the solver's dense output),
 * output-grid rows are recorded from the dense output (interpolated states set into the FMU,
 * outputs read), the FMU is restored to the step end (or the located event) and
 * completedIntegratorStep is called — last, because the rows and the root search set states
 * prior to that point. Time events (nextEventTime), input jumps and the stop time are step
 * ends exactly. At an event: a row before, enterEventMode, event iteration, a row after, and
 * the solver restarted from the FMU's (possibly changed) states and nominals.
 *
 * Hot path: the RHS closure, the indicator function and the loop allocate nothing; the FMU
 * is told its time/states only when they differ from what it already holds.
 */
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../errors.ts';
import type { EventUpdateResult, FmiInstance } from '../fmi/instance.ts';
import { compileInputs } from './inputs.ts';
import { checkTiming, gridPoints, gridTime, Recorder, resolveOutputs } from './recorder.ts';
import { hasCrossing, RootLocator, type IndicatorFunction } from './root-finding.ts';
import { EulerSolver } from './solvers/euler.ts';
import { NoStateSolver } from './solvers/none.ts';
import { chooseSolver, createSolver, DEFAULT_MAX_STEPS, DEFAULT_RTOL } from './solvers/select.ts';
import type { OdeRhs, OdeSolver } from './solvers/types.ts';
import { applyStartValues, applyStructuralParameters, planStartValues } from './start-values.ts';
import type { SimulationOptions, SimulationResult } from './types.ts';

/** Event iterations (newDiscreteStates calls) at one instant before we call the model broken. */
export const MAX_EVENT_ITERATIONS = 1000;
/** Consecutive events at the same instant (e.g. a time event scheduled at "now" again and again). */
const MAX_EVENTS_AT_ONE_INSTANT = 1000;
const PROGRESS_STRIDE = 256;
/** Loop rounds without a native chunk after one could not take a single step. */
const CHUNK_PAUSE = 16;
/**
 * Chattering (Zeno) guard: this many consecutive events whose average spacing is below
 * ZENO_SPACING · max(1, |t|) — a hundred times the event-location tolerance, far below any
 * physical event rate — mean the model switches back and forth without time advancing
 * (a bouncing ball without a rest condition, a relay without hysteresis). Without the guard
 * each event still advances time by the location tolerance, so the run spins until the step
 * limit (seconds later) and then blames stiffness.
 */
const ZENO_EVENTS = 100;
const ZENO_SPACING = 1e-11;

interface EventOutcome {
  terminate: boolean;
  nextEventTime: number;
  nominalsChanged: boolean;
}

/** Remembers the last ZENO_EVENTS event times and throws once they crowd into a sliver of time. */
class ZenoGuard {
  private readonly times = new Float64Array(ZENO_EVENTS);
  private count = 0;

  record(t: number): void {
    const i = this.count % ZENO_EVENTS;
    const oldest = this.times[i]!; // the event ZENO_EVENTS ago, once the ring is full
    this.times[i] = t;
    this.count++;
    if (this.count <= ZENO_EVENTS) return;
    const span = t - oldest;
    if (span < ZENO_EVENTS * ZENO_SPACING * Math.max(1, Math.abs(t))) {
      throw new GatewayError(
        'SIMULATION_FAILED',
        `The model chatters (Zeno behaviour): ${ZENO_EVENTS} events within ${span.toPrecision(3)} s up to t = ${t}, so time no longer advances. ` +
          'It switches back and forth at a threshold, e.g. a bouncing ball without a rest condition or a switch without hysteresis: ' +
          'add hysteresis or a rest condition to the model, or end the simulation before this time.',
        { time: t, events: ZENO_EVENTS, span },
      );
    }
  }
}

function checkMeOptions(o: SimulationOptions): void {
  const bad = (message: string): never => {
    throw new GatewayError('BAD_REQUEST', message);
  };
  if (o.tolerance !== undefined && !(o.tolerance > 0 && o.tolerance < 1)) bad(`tolerance must be in (0, 1), got ${o.tolerance}.`);
  if (o.maxStep !== undefined && !(o.maxStep > 0)) bad(`max_step must be > 0, got ${o.maxStep}.`);
  if (o.maxSteps !== undefined && !(Number.isInteger(o.maxSteps) && o.maxSteps >= 1))
    bad(`max_steps must be an integer ≥ 1, got ${o.maxSteps}.`);
  if (o.fixedStep !== undefined && !(o.fixedStep > 0 && Number.isFinite(o.fixedStep)))
    bad(`fixed_step must be a positive number, got ${o.fixedStep}.`);
}

/**
 * The state variables' names in state-vector order (the order of the derivatives), when every
 * state is a scalar: the recorder takes those outputs from the state vector the FMU was given.
 */
function continuousStateNames(md: FmiInstance['modelDescription']): string[] | undefined {
  const byName = new Map(md.variables.map((v) => [v.name, v]));
  const names: string[] = [];
  for (const d of md.model_structure.continuous_state_derivatives) {
    const der = byName.get(d);
    const state = der?.derivative_of === undefined ? undefined : byName.get(der.derivative_of);
    if (der === undefined || state === undefined || (der.dimensions?.length ?? 0) > 0 || (state.dimensions?.length ?? 0) > 0)
      return undefined;
    names.push(state.name);
  }
  return names.length === md.number_of_continuous_states ? names : undefined;
}

/** The largest time below t (a couple of ulps): where an input jumping at t still has its left value. */
function justBefore(t: number): number {
  return Number.isFinite(t) ? t - Math.max(Math.abs(t) * Number.EPSILON, Number.MIN_VALUE) : t;
}

/** Newton-like event iteration until the discrete states settle (FMI 2 §3.2.2, FMI 3 §3.2.3). */
function eventIteration(instance: FmiInstance, t: number): EventOutcome {
  const out: EventOutcome = { terminate: false, nextEventTime: Infinity, nominalsChanged: false };
  for (let k = 0; k < MAX_EVENT_ITERATIONS; k++) {
    const r: EventUpdateResult = instance.newDiscreteStates();
    out.nominalsChanged ||= r.nominalsOfContinuousStatesChanged;
    out.nextEventTime = r.nextEventTimeDefined ? r.nextEventTime : Infinity;
    if (r.terminateSimulation) {
      out.terminate = true;
      return out;
    }
    if (!r.discreteStatesNeedUpdate) return out;
  }
  throw new GatewayError(
    'SIMULATION_FAILED',
    `The event iteration at t = ${t} did not settle: the FMU still asked for another discrete-state update after ${MAX_EVENT_ITERATIONS} iterations. ` +
      'The model probably has an algebraic loop among its discrete variables (e.g. a condition that flips its own input).',
    { time: t, iterations: MAX_EVENT_ITERATIONS },
  );
}

export function simulateModelExchange(instance: FmiInstance, options: SimulationOptions): SimulationResult {
  const wallStart = performance.now();
  const md = instance.modelDescription;
  const { startTime, stopTime, outputInterval } = options;
  checkTiming(options);
  checkMeOptions(options);
  const nx = md.number_of_continuous_states;
  const nz = md.number_of_event_indicators;
  const rtol = options.tolerance ?? DEFAULT_RTOL;
  // fixed_step: euler's step; for the adaptive solvers their largest step. Default for both: the
  // output interval (as FMPy and OpenModelica, whose Euler step is the output interval).
  const maxStep = options.maxStep ?? options.fixedStep ?? outputInterval;
  // The max step alone forces (stop − start) / maxStep steps (one per output interval by
  // default, up to MAX_OUTPUT_ROWS of them): those must not eat into the budget for the
  // solver's own effort, or a long, perfectly smooth run fails with a "stiff?" step-limit error.
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS + Math.ceil((stopTime - startTime) / maxStep);
  const solverKind = chooseSolver(options.solver, nx);
  const needCompletedStep = md.model_exchange?.completed_integrator_step_not_needed !== true;

  const points = gridPoints(startTime, stopTime, outputInterval);
  const outputs = resolveOutputs(instance, options.outputs);
  const startValues = planStartValues(md, options.startValues);
  const inputs = compileInputs(md, options.inputSignals);
  const hasInputs = inputs.signals.length > 0;
  // Events add rows beyond the grid: a little headroom, then the recorder grows by doubling.
  const capacity = Math.min(points + 32, Math.max(points, options.maxRows ?? Infinity));
  const stateNames = continuousStateNames(md);
  const recorder = new Recorder(instance, outputs, {
    capacity,
    trackEvents: true,
    ...(stateNames === undefined ? {} : { stateNames }),
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.outputs === undefined ? {} : { select: options.outputs }),
  });

  // ---- Initialization (start values and inputs as the FMI state machine allows). ----
  applyStructuralParameters(instance, startValues);
  applyStartValues(instance, startValues, 'instantiated');
  if (hasInputs && instance.fmiVersion === '3.0') inputs.apply(instance, startTime);
  instance.enterInitializationMode(startTime, stopTime, rtol);
  applyStartValues(instance, startValues, 'initialization');
  if (hasInputs && instance.fmiVersion === '2.0') inputs.apply(instance, startTime);
  instance.exitInitializationMode(); // ME: now in Event Mode
  let outcome = eventIteration(instance, startTime);
  let terminatedEarly: { time: number; reason: string } | undefined;
  const x = new Float64Array(nx);
  const xi = new Float64Array(nx);
  const nominals = new Float64Array(nx);
  const atol = new Float64Array(nx);
  const readNominals = (): void => {
    if (nx > 0) instance.getNominalsOfContinuousStates(nominals);
    for (let i = 0; i < nx; i++) {
      const nom = Math.abs(nominals[i]!);
      atol[i] = rtol * (nom > 0 && Number.isFinite(nom) ? nom : 1);
    }
  };
  if (!outcome.terminate) instance.enterContinuousTimeMode();
  if (nx > 0) instance.getContinuousStates(x);
  readNominals();

  // ---- The FMU as an ODE. `held*` say which point the FMU holds, to skip redundant sets. ----
  let nextInputEvent = hasInputs ? inputs.nextDiscontinuity(startTime) : Infinity;
  // Just before an input jump: a step ending at the jump must see the left-limit input.
  let leftOfInputEvent = justBefore(nextInputEvent);
  let heldX: Float64Array | null = null;
  let heldT = NaN;
  // Continuous-Time Mode admits only continuous inputs: discrete ones are set in Event Mode
  // (initialization and input events, handleEvent), where they are piecewise constant anyway.
  const hasContinuousInputs = inputs.signals.some((s) => s.variable.variability === 'continuous');
  const setPoint = (t: number, xs: Float64Array): void => {
    instance.setTime(t);
    if (hasContinuousInputs) inputs.applyContinuous(instance, t < nextInputEvent ? t : leftOfInputEvent);
    if (nx > 0) instance.setContinuousStates(xs);
    heldX = null;
  };
  const rhs: OdeRhs = (t, xs, dx) => {
    if (xs !== heldX || t !== heldT) setPoint(t, xs);
    heldX = null; // the solver may now change xs in place
    instance.getDerivatives(dx);
  };
  const settings = {
    rtol,
    atol,
    maxStep,
    maxSteps,
    fixedStep: Math.min(options.fixedStep ?? outputInterval, maxStep),
  };
  const solver: OdeSolver = nx === 0 ? new NoStateSolver(settings) : createSolver(solverKind, nx, rhs, settings);
  const indicators: IndicatorFunction = (t, z) => {
    solver.interpolate(t, xi);
    setPoint(t, xi);
    instance.getEventIndicators(z);
  };
  const locator = new RootLocator(nz);
  const z0 = new Float64Array(nz);
  const z1 = new Float64Array(nz);
  const zeno = new ZenoGuard();

  let t = startTime;
  let events = 0;
  let gridIndex = 1;
  recorder.record(startTime);
  solver.reset(t, x);
  if (nz > 0) instance.getEventIndicators(z0);
  let nextTimeEvent = outcome.nextEventTime;
  if (outcome.terminate) terminatedEarly = { time: t, reason: `The FMU requested termination during initialization (t = ${t}).` };

  /** Event at tEvent with the FMU holding the pre-event point: rows before/after, iteration, restart. */
  const handleEvent = (tEvent: number, inputEvent: boolean): void => {
    recorder.record(tEvent);
    recorder.markEvent();
    instance.enterEventMode();
    if (inputEvent) {
      inputs.apply(instance, tEvent); // right-limit values of the jumping inputs, discrete ones included
      nextInputEvent = inputs.nextDiscontinuity(tEvent);
      leftOfInputEvent = justBefore(nextInputEvent);
    }
    outcome = eventIteration(instance, tEvent);
    events++;
    zeno.record(tEvent);
    if (outcome.terminate) {
      recorder.record(tEvent);
      recorder.markEvent();
      terminatedEarly = { time: tEvent, reason: `The FMU requested termination (terminateSimulation) at t = ${tEvent}.` };
      return;
    }
    instance.enterContinuousTimeMode();
    if (nx > 0) instance.getContinuousStates(x);
    if (outcome.nominalsChanged) {
      readNominals();
      solver.setAbsoluteTolerance(atol);
    }
    nextTimeEvent = outcome.nextEventTime;
    recorder.record(tEvent);
    recorder.markEvent();
    solver.reset(tEvent, x);
    heldX = null;
    if (nz > 0) instance.getEventIndicators(z0);
  };

  const signal = options.signal;
  const onProgress = options.onProgress;
  const progressMs = options.progressIntervalMs ?? 250;
  let lastProgress = wallStart;
  const progress = (): void => {
    const now = performance.now();
    if (now - lastProgress >= progressMs) {
      lastProgress = now;
      onProgress?.((t - startTime) / (stopTime - startTime), t);
    }
  };
  let loops = 0;
  let nextProgressLook = PROGRESS_STRIDE;
  let eventsHere = 0;
  // Explicit Euler without event indicators or inputs: whole grid steps in native chunks when the
  // binding offers them (src/fmi/stepper.ts); the loop below takes every other step call by call.
  const layout = solver instanceof EulerSolver && nz === 0 && !hasInputs ? recorder.nativeLayout() : undefined;
  const chunk =
    layout === undefined
      ? undefined
      : instance.prepareEulerChunk?.({
          nx,
          nValues: layout.nValues,
          completedIntegratorStep: needCompletedStep,
          groups: layout.groups,
        });
  if (chunk !== undefined) recorder.useNativeStats(chunk.stats);
  let chunkPause = 0;
  while (t < stopTime && terminatedEarly === undefined) {
    if (signal?.aborted) throw new GatewayError('CANCELLED', `Simulation cancelled at t = ${t}.`, { time: t });
    const tStop = Math.min(stopTime, nextTimeEvent, nextInputEvent);
    if (tStop <= t) {
      // A time event or input jump due now (scheduled at the current instant).
      if (++eventsHere > MAX_EVENTS_AT_ONE_INSTANT) {
        throw new GatewayError(
          'SIMULATION_FAILED',
          `The FMU kept scheduling events at t = ${t} (${MAX_EVENTS_AT_ONE_INSTANT} in a row); time does not advance.`,
          { time: t },
        );
      }
      setPoint(t, solver.x);
      handleEvent(t, nextInputEvent <= t);
      continue;
    }
    eventsHere = 0;
    let tEnd: number;
    let stateEvent = false;
    let stepEvent = false;
    let terminate = false;
    // Native chunk of whole Euler grid steps (src/fmi/stepper.ts), from the point the FMU holds.
    let resume = 0;
    if (chunk !== undefined && heldX === solver.x && heldT === solver.t && --chunkPause < 0) {
      const euler = solver as EulerSolver;
      chunk.x.set(solver.x);
      chunk.run(
        euler.gridOrigin,
        euler.gridSteps,
        euler.stepSize,
        t,
        solver.tPrev,
        tStop,
        startTime,
        stopTime,
        outputInterval,
        gridIndex,
        points,
        euler.stepsLeft,
        recorder.rows,
        recorder.lastTime,
      );
      const taken = chunk.steps;
      if (taken > 0) {
        euler.adopt(taken, chunk.t, chunk.tPrev, chunk.n0, chunk.x, chunk.xPrev);
        heldX = solver.x;
        heldT = solver.t;
        t = chunk.t;
        loops += taken;
      }
      if (chunk.written > 0) recorder.appendRows(chunk.rows, chunk.written, chunk.capacity);
      gridIndex = chunk.gridIndex;
      const outcome = chunk.outcome;
      if (outcome === 0 && taken > 0) {
        if (onProgress !== undefined && loops >= nextProgressLook) {
          nextProgressLook = loops + PROGRESS_STRIDE;
          progress();
        }
        continue;
      }
      // 1, 2: the next step is not plain: taken call by call below (a while without chunks when
      // that keeps happening, e.g. output points inside every step). 4, 5: a step to finish here.
      if (taken === 0 && (outcome === 1 || outcome === 2)) chunkPause = CHUNK_PAUSE;
      if (outcome === 4 || outcome === 5) resume = outcome;
    }
    if (resume !== 0) {
      tEnd = solver.t;
      if (resume === 4) {
        stepEvent = chunk!.completion.enterEventMode;
        terminate = chunk!.completion.terminateSimulation;
      }
    } else {
      const tNew = solver.step(tStop);
      setPoint(tNew, solver.x);
      tEnd = tNew;
      let atEnd = true; // the FMU holds (tEnd, solver state at tEnd)
      if (nz > 0) {
        instance.getEventIndicators(z1);
        // An indicator exactly 0 at the step start (typically just after an event) takes the
        // domain it moves into, so leaving zero is not mistaken for a new crossing.
        for (let i = 0; i < nz; i++) if (z0[i] === 0) z0[i] = z1[i]!;
        if (hasCrossing(z0, z1)) {
          tEnd = locator.locate(solver.tPrev, z0, tNew, z1, indicators);
          stateEvent = true;
          atEnd = false;
        }
      }
      // Output-grid rows strictly inside the step, from the dense output.
      while (gridIndex < points) {
        const tg = gridTime(startTime, stopTime, outputInterval, gridIndex);
        if (tg >= tEnd) break;
        solver.interpolate(tg, xi);
        setPoint(tg, xi);
        recorder.record(tg, xi);
        gridIndex++;
        atEnd = false;
      }
      if (!atEnd) {
        if (stateEvent) solver.interpolate(tEnd, xi);
        setPoint(tEnd, stateEvent ? xi : solver.x);
      }
      if (!stateEvent) {
        heldX = solver.x;
        heldT = tNew;
      }
      if (needCompletedStep) {
        const done = instance.completedIntegratorStep(true);
        stepEvent = done.enterEventMode;
        terminate = done.terminateSimulation;
      }
    }
    const timeEvent = tEnd === nextTimeEvent;
    const inputEvent = tEnd === nextInputEvent;
    // Events at the stop time are handled too: the last row must show the state after them, as
    // Co-Simulation (which handles them inside the last doStep) and the input semantics say.
    const anyEvent = (stateEvent || stepEvent || timeEvent || inputEvent) && !terminate;
    let rowAtEnd = false;
    if (!anyEvent && gridIndex < points && gridTime(startTime, stopTime, outputInterval, gridIndex) <= tEnd) {
      // No state event here, so the FMU holds the solver's state at tEnd.
      recorder.record(gridTime(startTime, stopTime, outputInterval, gridIndex), solver.x);
      gridIndex++;
      rowAtEnd = true;
    }
    t = tEnd;
    if (terminate) {
      if (!rowAtEnd) recorder.record(t); // the last state the FMU reached
      terminatedEarly = { time: t, reason: `The FMU requested termination (completedIntegratorStep) at t = ${t}.` };
      break;
    }
    if (anyEvent) {
      if (gridIndex < points && gridTime(startTime, stopTime, outputInterval, gridIndex) <= tEnd) gridIndex++; // the event rows cover it
      handleEvent(tEnd, inputEvent);
    } else if (nz > 0) {
      z0.set(z1);
    }
    if (onProgress !== undefined && ++loops >= nextProgressLook) {
      nextProgressLook = loops + PROGRESS_STRIDE;
      progress();
    }
  }

  instance.terminate();
  if (onProgress && !terminatedEarly) onProgress(1, stopTime);
  const warnings: string[] = [];
  if (instance.worstStatus === 'Warning') warnings.push('The FMU reported warnings; see the log.');
  if (solver.warning !== undefined) warnings.push(solver.warning);
  solver.dispose?.(); // native solver memory (cvode) now, not at garbage collection
  const rec = recorder.finish();
  const result: SimulationResult = {
    fmiVersion: instance.fmiVersion,
    interface: 'ME',
    solver: solver.name,
    tolerance: rtol,
    rows: rec.rows,
    time: rec.time,
    columns: rec.columns,
    stats: { steps: solver.stats.steps, events, rejectedSteps: solver.stats.rejectedSteps, wallMs: performance.now() - wallStart },
    warnings,
    log: instance.lastLogLines(50),
  };
  if (rec.eventRows) result.eventRows = rec.eventRows;
  if (terminatedEarly) result.terminatedEarly = terminatedEarly;
  return result;
}
