/**
 * FMI 2.0 raw tier: our own declarations of the C-named functions of the specification,
 * bound by `declareFmi2`, plus the address variants of the per-step calls. The friendly
 * wrapper over them is `Fmi2InstanceImpl` (fmi2.ts).
 */
import type { LibraryHandle } from 'koffi';
import { GatewayError } from '../errors.ts';
import { recordAddress } from './symbol-addresses.ts';
import type { InterfaceKind } from '../schemas/model-description.ts';

/** A bound native function; koffi returns number for int results and bigint|null for pointers. */
export type Native = (...args: unknown[]) => unknown;
export type NativeStatus = (...args: unknown[]) => number;

const COMMON: Record<string, [string, string[]]> = {
  fmi2Instantiate: ['void *', ['const char *', 'int', 'const char *', 'const char *', 'void *', 'int', 'int']],
  fmi2FreeInstance: ['void', ['void *']],
  fmi2SetupExperiment: ['int', ['void *', 'int', 'double', 'double', 'int', 'double']],
  fmi2EnterInitializationMode: ['int', ['void *']],
  fmi2ExitInitializationMode: ['int', ['void *']],
  fmi2Terminate: ['int', ['void *']],
  fmi2Reset: ['int', ['void *']],
  fmi2GetReal: ['int', ['void *', 'const uint32_t *', 'size_t', 'double *']],
  fmi2GetInteger: ['int', ['void *', 'const uint32_t *', 'size_t', 'int *']],
  fmi2GetBoolean: ['int', ['void *', 'const uint32_t *', 'size_t', 'int *']],
  fmi2GetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'void *']],
  fmi2SetReal: ['int', ['void *', 'const uint32_t *', 'size_t', 'const double *']],
  fmi2SetInteger: ['int', ['void *', 'const uint32_t *', 'size_t', 'const int *']],
  fmi2SetBoolean: ['int', ['void *', 'const uint32_t *', 'size_t', 'const int *']],
  fmi2SetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'const char **']],
};
const CS: Record<string, [string, string[]]> = {
  fmi2DoStep: ['int', ['void *', 'double', 'double', 'int']],
};
/** fmi2StatusKind queries after Discard; optional in practice, so a missing one is tolerated. */
const CS_OPTIONAL: Record<string, [string, string[]]> = {
  fmi2GetBooleanStatus: ['int', ['void *', 'int', 'int *']],
  fmi2GetRealStatus: ['int', ['void *', 'int', 'double *']],
};
const ME: Record<string, [string, string[]]> = {
  fmi2EnterEventMode: ['int', ['void *']],
  fmi2NewDiscreteStates: ['int', ['void *', 'void *']],
  fmi2EnterContinuousTimeMode: ['int', ['void *']],
  fmi2CompletedIntegratorStep: ['int', ['void *', 'int', 'int *', 'int *']],
  fmi2SetTime: ['int', ['void *', 'double']],
  fmi2SetContinuousStates: ['int', ['void *', 'const double *', 'size_t']],
  fmi2GetContinuousStates: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetDerivatives: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetEventIndicators: ['int', ['void *', 'double *', 'size_t']],
  fmi2GetNominalsOfContinuousStates: ['int', ['void *', 'double *', 'size_t']],
};
/**
 * The per-step ME calls again with the handle and arrays as plain addresses: only integer
 * and double parameters, so koffi takes its fast call path and marshals nothing.
 */
const ME_ADDR: Record<string, [string, string[]]> = {
  fmi2SetTime: ['int', ['uint64_t', 'double']],
  fmi2SetContinuousStates: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2GetDerivatives: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2GetEventIndicators: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi2CompletedIntegratorStep: ['int', ['uint64_t', 'int', 'uint64_t', 'uint64_t']],
};

export type Fmi2Raw = Record<string, Native>;

/** Binds the raw FMI 2 functions an interface needs; a missing one → FMU_LOAD_FAILED naming it. */
export function declareFmi2(lib: LibraryHandle, iface: InterfaceKind, binaryPath: string): Fmi2Raw {
  const raw: Fmi2Raw = {};
  const bind = (table: Record<string, [string, string[]]>, required: boolean): void => {
    for (const [name, [ret, args]] of Object.entries(table)) {
      try {
        raw[name] = lib.func(name, ret, args) as Native;
      } catch (e) {
        if (!required) continue;
        throw new GatewayError(
          'FMU_LOAD_FAILED',
          `The FMU binary ${binaryPath} does not export ${name}, required by FMI 2.0 ${iface === 'CS' ? 'Co-Simulation' : 'Model Exchange'}. Rebuild the FMU so that it exports every FMI 2 function.`,
          { symbol: name, binary: binaryPath, cause: e instanceof Error ? e.message : String(e) },
        );
      }
    }
  };
  bind(COMMON, true);
  // Address variants for PreparedNumeric: handle and arrays as plain numbers.
  for (const t of ['Real', 'Integer', 'Boolean']) {
    for (const verb of ['Get', 'Set'])
      raw[`fmi2${verb}${t}@addr`] = lib.func(`fmi2${verb}${t}`, 'int', ['uint64_t', 'uint64_t', 'size_t', 'uint64_t']) as Native;
  }
  bind(iface === 'CS' ? CS : ME, true);
  if (iface === 'ME') for (const [name, [ret, args]] of Object.entries(ME_ADDR)) raw[`${name}@addr`] = lib.func(name, ret, args) as Native;
  if (iface === 'CS') {
    bind(CS_OPTIONAL, false);
    // The per-step call takes the handle as a plain number: cheaper for koffi than a pointer.
    raw['fmi2DoStep@addr'] = lib.func('fmi2DoStep', 'int', ['uint64_t', 'double', 'double', 'int']) as Native;
  }
  // What the native stepping helper (stepper.ts) calls itself, by address.
  const stepper =
    iface === 'CS'
      ? ['fmi2DoStep', 'fmi2GetReal', 'fmi2GetInteger', 'fmi2GetBoolean']
      : [
          'fmi2GetReal',
          'fmi2GetInteger',
          'fmi2GetBoolean',
          'fmi2GetDerivatives',
          'fmi2SetTime',
          'fmi2SetContinuousStates',
          'fmi2CompletedIntegratorStep',
        ];
  for (const name of stepper) recordAddress(raw, lib, name);
  return raw;
}

/** A bound raw function by name; one the interface does not have → FMI_CALL_FAILED. */
export function need(raw: Fmi2Raw, name: string): NativeStatus {
  const f = raw[name];
  if (!f) throw new GatewayError('FMI_CALL_FAILED', `${name} is not available for this FMU interface.`, { function: name });
  return f as NativeStatus;
}

/** fmi2StatusKind values used after a Discard. */
export const FMI2_LAST_SUCCESSFUL_TIME = 2;
export const FMI2_TERMINATED = 3;
