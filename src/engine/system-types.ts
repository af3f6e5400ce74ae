/**
 * A connected system as the engine runs it: components resolved to unpacked FMUs (directories
 * relative to one bundle directory), connections resolved to variable names with their unit
 * conversion and put in evaluation order, the Gauss–Seidel order of the components. Built and
 * checked by src/systems/plan.ts in the server; plain data, so it crosses to the worker as is.
 */
import type { InterfaceKind, ModelDescription, VariableType } from '../schemas/model-description.ts';

export interface SystemPlanComponent {
  name: string;
  /** Sub-directory of the bundle holding the unpacked FMU. */
  dir: string;
  /** Shared library relative to the bundle, when not the FMU's platform binary (compiled from sources). */
  binary?: string;
  interface: InterfaceKind;
  modelDescription: ModelDescription;
}

export interface SystemEndpoint {
  /** Index into SystemPlan.components. */
  c: number;
  /** The variable's name in its FMU. */
  name: string;
}

export interface SystemPlanConnection {
  from: SystemEndpoint;
  to: SystemEndpoint;
  /** Type of both ends (checked equal when planned). */
  type: VariableType;
  /** to = from · factor + offset (unit conversion; 1 and 0 when the units agree). */
  factor: number;
  offset: number;
}

export interface SystemPlan {
  components: SystemPlanComponent[];
  /**
   * Connections in evaluation order: one whose source output depends directly on an input comes
   * after the connections feeding that input (possible because algebraic loops are refused).
   */
  connections: SystemPlanConnection[];
  /** Co-Simulation Gauss–Seidel order of the components (indices). */
  order: number[];
  master: 'gauss-seidel' | 'jacobi';
  /** Co-Simulation macro step (default: the output interval); also the communication step of CS components in an ME system. */
  communicationStep?: number;
  /** System inputs: one name setting every target. */
  inputs: { name: string; targets: SystemEndpoint[] }[];
  /** System outputs: a name for one component output. */
  outputs: { name: string; source: SystemEndpoint }[];
  /**
   * Log a line naming the component before every call into it, so a crash can be attributed
   * (the service reruns a crashed system with it; see src/service/simulate-system.ts).
   */
  trace?: boolean;
}

/** The log line a traced run writes before calling into component `name` (parsed back by the service). */
export const TRACE_PREFIX = '[system] calling component ';
