/**
 * The Co-Simulation driver: start values and inputs per the FMI state machine, then a
 * fixed communication grid start + i*interval (no drift), recording after each step.
 * The stepping loop allocates nothing: inputs, doStep and recording reuse buffers,
 * progress is polled every PROGRESS_STRIDE steps and cancellation is a boolean read.
 * Inputs: set at each communication point t after the step that reached it (and at
 * start in initialization), so the FMU holds u(t) over [t, t + h] and row t's outputs
 * reflect u(t). The caller owns the instance (instantiate before, free after).
 */
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../errors.ts';
import type { DoStepResult, FmiInstance } from '../fmi/instance.ts';
import { compileInputs } from './inputs.ts';
import { checkTiming, gridPoints, gridTime, Recorder, resolveOutputs } from './recorder.ts';
import { applyStartValues, applyStructuralParameters, planStartValues } from './start-values.ts';
import type { SimulationOptions, SimulationResult } from './types.ts';

/** Steps between wall-clock reads for the progress callback (a clock read costs ~25 ns). */
const PROGRESS_STRIDE = 256;

export function simulateCoSimulation(instance: FmiInstance, options: SimulationOptions): SimulationResult {
  const wallStart = performance.now();
  const md = instance.modelDescription;
  const { startTime, stopTime, outputInterval: h } = options;
  checkTiming(options);
  const points = gridPoints(startTime, stopTime, h);
  const outputs = resolveOutputs(instance, options.outputs);
  const startValues = planStartValues(md, options.startValues);
  const inputs = compileInputs(md, options.inputSignals);
  const hasInputs = inputs.signals.length > 0;
  const recorder = new Recorder(instance, outputs, {
    capacity: points,
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.outputs === undefined ? {} : { select: options.outputs }),
  });

  // Instantiated: exact/approx start values (and, in FMI 3, inputs).
  applyStructuralParameters(instance, startValues);
  applyStartValues(instance, startValues, 'instantiated');
  if (hasInputs && instance.fmiVersion === '3.0') inputs.apply(instance, startTime);
  instance.enterInitializationMode(startTime, stopTime, options.tolerance);
  // Initialization Mode: FMI 2 inputs.
  applyStartValues(instance, startValues, 'initialization');
  if (hasInputs && instance.fmiVersion === '2.0') inputs.apply(instance, startTime);
  instance.exitInitializationMode();
  recorder.record(startTime);

  const signal = options.signal;
  const onProgress = options.onProgress;
  const progressMs = options.progressIntervalMs ?? 250;
  let lastProgress = wallStart;
  const progress = (time: number): void => {
    const now = performance.now();
    if (now - lastProgress >= progressMs) {
      lastProgress = now;
      onProgress?.((time - startTime) / (stopTime - startTime), time);
    }
  };
  let terminatedEarly: { time: number; reason: string } | undefined;
  let steps = 0;
  let t = startTime;
  // Native chunks of plain steps (src/fmi/stepper.ts) when the outputs allow and no input is set per step.
  const layout = hasInputs ? undefined : recorder.nativeLayout();
  const chunk = layout === undefined ? undefined : instance.prepareCsChunk?.(layout.groups);
  if (chunk !== undefined) recorder.useNativeStats(chunk.stats);
  let stride = 0; // steps since the last progress look
  for (let i = 1; i < points; i++) {
    if (signal?.aborted) throw new GatewayError('CANCELLED', `Simulation cancelled at t=${t}.`, { time: t });
    let r: DoStepResult;
    let stepEnd: number;
    if (chunk !== undefined) {
      const written = chunk.run(startTime, stopTime, h, t, i, points, recorder.rows, recorder.lastTime);
      if (written > 0) {
        recorder.appendRows(chunk.rows, written, chunk.capacity);
        steps += written;
        stride += written;
        i += written;
        t = chunk.t;
      }
      const outcome = chunk.outcome;
      if (outcome === 0)
        i--; // the loop's i++ moves to the next chunk's first step
      else if (outcome === 2) {
        // Step i done; its row through the normal get, which reports the status.
        steps++;
        t = chunk.t;
        recorder.record(t);
      }
      if (outcome !== 1) {
        if (onProgress !== undefined && stride >= PROGRESS_STRIDE) {
          stride = 0;
          progress(t);
        }
        continue;
      }
      r = chunk.result; // step i, not plain: handled below as any step
      stepEnd = gridTime(startTime, stopTime, h, i);
    } else {
      stepEnd = gridTime(startTime, stopTime, h, i);
      r = instance.doStep(t, stepEnd - t);
    }
    steps++;
    if (r.terminate) {
      const reached = r.lastSuccessfulTime;
      // The FMU's outputs describe the last successful time; keep them when past the last row.
      if (reached > t && reached < stepEnd) recorder.record(reached);
      terminatedEarly = {
        time: reached > t ? reached : t,
        reason:
          `${instance.fmiVersion === '2.0' ? 'fmi2DoStep' : 'fmi3DoStep'} returned ${r.status}${r.status === 'Discard' ? '' : ' and asked to terminate'} ` +
          `in the step from t=${t} to t=${stepEnd}${lastLine(instance)}`,
      };
      if (reached >= stepEnd) recorder.record(stepEnd);
      break;
    }
    t = stepEnd;
    // Inputs at t are set before recording, so a row's outputs match its inputs (direct
    // feedthrough), and they stay set (held) over the next step.
    if (hasInputs) inputs.apply(instance, t);
    recorder.record(t);
    if (onProgress !== undefined && ++stride >= PROGRESS_STRIDE) {
      stride = 0;
      progress(t);
    }
  }

  const warnings: string[] = [];
  try {
    instance.terminate();
  } catch (e) {
    // After a Discard some FMUs refuse fmi*Terminate; the partial result is still valid.
    if (!terminatedEarly) throw e;
    warnings.push(`Terminate failed after the early end: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (onProgress && !terminatedEarly) onProgress(1, stopTime);
  if (instance.worstStatus === 'Warning') warnings.push('The FMU reported warnings; see the log.');
  const rec = recorder.finish();
  const result: SimulationResult = {
    fmiVersion: instance.fmiVersion,
    interface: 'CS',
    rows: rec.rows,
    time: rec.time,
    columns: rec.columns,
    stats: { steps, events: 0, rejectedSteps: 0, wallMs: performance.now() - wallStart },
    warnings,
    log: instance.lastLogLines(50),
  };
  if (options.tolerance !== undefined) result.tolerance = options.tolerance;
  if (terminatedEarly) result.terminatedEarly = terminatedEarly;
  return result;
}

function lastLine(instance: FmiInstance): string {
  const line = instance.lastLogLines(1)[0];
  return line ? `; the FMU's last log line: ${line}` : '';
}
