/**
 * The Co-Simulation master: fixed macro steps over the communication interval the driver asks
 * for (split into equal steps of at most SystemPlan.communicationStep), with
 *  - Gauss–Seidel (default): components in the order of the connection graph; each one's inputs
 *    are evaluated just before its doStep, so a component later in the order sees the outputs
 *    its predecessors reached at the end of the step;
 *  - Jacobi: every input evaluated at the start of the step, then every component steps.
 * Inputs are held over a step (zero-order hold): the coupling error is first order in the step.
 * After each step the connections that still hold a value from the step's start (Jacobi: all;
 * Gauss–Seidel: those into a component that stepped before its source) are evaluated, so the
 * recorded inputs match the outputs of the same instant. Separate from the description: it only sees the SystemInstance.
 * Nothing is allocated per step.
 */
import type { DoStepResult, FmiInstance } from '../fmi/instance.ts';
import type { SystemInstance } from '../engine/system-instance.ts';
import type { SystemPlan } from '../engine/system-types.ts';

export function attachMaster(system: SystemInstance, plan: SystemPlan): void {
  const order = plan.order;
  const jacobi = plan.master === 'jacobi';
  const macro = plan.communicationStep;
  // Place of each component in the stepping order; Jacobi: all at the same place (every connection is stale after a step).
  const position = new Int32Array(plan.components.length);
  if (!jacobi) order.forEach((c, i) => (position[c] = i));
  const result: DoStepResult = { terminate: false, status: 'OK', lastSuccessfulTime: 0, eventHandlingNeeded: false, earlyReturn: false };

  const stepAll = (t: number, h: number): boolean => {
    if (jacobi) system.propagate('all');
    for (const c of order) {
      if (!jacobi) system.propagateInto(c);
      system.enter(c);
      const inst: FmiInstance = system.component(c);
      const r = inst.doStep(t, h);
      if (r.terminate) {
        result.terminate = true;
        result.status = r.status;
        result.lastSuccessfulTime = r.lastSuccessfulTime;
        return false;
      }
    }
    return true;
  };

  system.stepper = (t: number, H: number): DoStepResult => {
    result.terminate = false;
    result.status = 'OK';
    const n = macro === undefined || macro >= H ? 1 : Math.ceil(H / macro - 1e-9);
    const h = H / n;
    for (let k = 0; k < n; k++) {
      const tk = k === 0 ? t : t + k * h;
      if (!stepAll(tk, k === n - 1 ? t + H - tk : h)) return result;
    }
    system.propagateStale(position);
    result.lastSuccessfulTime = t + H;
    return result;
  };
}
