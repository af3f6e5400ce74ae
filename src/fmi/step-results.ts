/**
 * The result objects an instance preallocates once and reuses on every step (the per-step
 * calls fill them in place and return them: no allocation on the hot path).
 */
import type { DoStepResult, EventUpdateResult, StepCompletionResult } from './instance.ts';

export function newDoStepResult(): DoStepResult {
  return {
    terminate: false,
    status: 'OK',
    lastSuccessfulTime: 0,
    eventHandlingNeeded: false,
    earlyReturn: false,
  };
}

export function newEventUpdateResult(): EventUpdateResult {
  return {
    discreteStatesNeedUpdate: false,
    terminateSimulation: false,
    nominalsOfContinuousStatesChanged: false,
    valuesOfContinuousStatesChanged: false,
    nextEventTimeDefined: false,
    nextEventTime: 0,
  };
}

export function newStepCompletionResult(): StepCompletionResult {
  return { enterEventMode: false, terminateSimulation: false };
}
