/**
 * FMI 3.0 raw tier: our own declarations of the C-named functions of the specification,
 * bound by `declareFmi3`, plus the address variants of the per-step calls. The friendly
 * wrapper over them is `Fmi3InstanceImpl` (fmi3.ts).
 */
import type { LibraryHandle } from 'koffi';
import { GatewayError } from '../errors.ts';
import { recordAddress } from './symbol-addresses.ts';
import type { InterfaceKind, ModelDescription, VariableType } from '../schemas/model-description.ts';

export type Native = (...args: unknown[]) => unknown;
export type NativeStatus = (...args: unknown[]) => number;
type Decl = [string, string[]];

/** FMI 3 C type per variable type (Enumeration is Int64 in FMI 3). */
const C_TYPES: Record<string, string> = {
  Float32: 'float',
  Float64: 'double',
  Int8: 'int8_t',
  UInt8: 'uint8_t',
  Int16: 'int16_t',
  UInt16: 'uint16_t',
  Int32: 'int32_t',
  UInt32: 'uint32_t',
  Int64: 'int64_t',
  UInt64: 'uint64_t',
  Boolean: 'bool',
};
export const FN_TYPE: Partial<Record<VariableType, string>> = {
  Float32: 'Float32',
  Float64: 'Float64',
  Int8: 'Int8',
  UInt8: 'UInt8',
  Int16: 'Int16',
  UInt16: 'UInt16',
  Int32: 'Int32',
  UInt32: 'UInt32',
  Int64: 'Int64',
  UInt64: 'UInt64',
  Boolean: 'Boolean',
  Enumeration: 'Int64',
};

const COMMON: Record<string, Decl> = {
  fmi3FreeInstance: ['void', ['void *']],
  fmi3EnterInitializationMode: ['int', ['void *', 'bool', 'double', 'double', 'bool', 'double']],
  fmi3ExitInitializationMode: ['int', ['void *']],
  fmi3Terminate: ['int', ['void *']],
  fmi3Reset: ['int', ['void *']],
  fmi3EnterConfigurationMode: ['int', ['void *']],
  fmi3ExitConfigurationMode: ['int', ['void *']],
  fmi3GetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'void *', 'size_t']],
  fmi3SetString: ['int', ['void *', 'const uint32_t *', 'size_t', 'const char **', 'size_t']],
  fmi3GetBinary: ['int', ['void *', 'const uint32_t *', 'size_t', 'void *', 'void *', 'size_t']],
  fmi3SetBinary: ['int', ['void *', 'const uint32_t *', 'size_t', 'const void *', 'const void *', 'size_t']],
};
const CS: Record<string, Decl> = {
  fmi3InstantiateCoSimulation: [
    'void *',
    [
      'const char *',
      'const char *',
      'const char *',
      'bool',
      'bool',
      'bool',
      'bool',
      'const uint32_t *',
      'size_t',
      'void *',
      'void *',
      'void *',
    ],
  ],
  fmi3DoStep: ['int', ['void *', 'double', 'double', 'bool', 'void *', 'void *', 'void *', 'void *']],
};
const ME: Record<string, Decl> = {
  fmi3InstantiateModelExchange: ['void *', ['const char *', 'const char *', 'const char *', 'bool', 'bool', 'void *', 'void *']],
  fmi3EnterEventMode: ['int', ['void *']],
  fmi3UpdateDiscreteStates: ['int', ['void *', 'void *', 'void *', 'void *', 'void *', 'void *', 'void *']],
  fmi3EnterContinuousTimeMode: ['int', ['void *']],
  fmi3CompletedIntegratorStep: ['int', ['void *', 'bool', 'void *', 'void *']],
  fmi3SetTime: ['int', ['void *', 'double']],
  fmi3SetContinuousStates: ['int', ['void *', 'const double *', 'size_t']],
  fmi3GetContinuousStates: ['int', ['void *', 'double *', 'size_t']],
  fmi3GetContinuousStateDerivatives: ['int', ['void *', 'double *', 'size_t']],
  fmi3GetEventIndicators: ['int', ['void *', 'double *', 'size_t']],
  fmi3GetNominalsOfContinuousStates: ['int', ['void *', 'double *', 'size_t']],
};

/**
 * The per-step ME calls again with the instance and arrays as plain addresses: only
 * integer, bool and double parameters, so koffi takes its fast call path and marshals nothing.
 */
const ME_ADDR: Record<string, Decl> = {
  fmi3SetTime: ['int', ['uint64_t', 'double']],
  fmi3SetContinuousStates: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi3GetContinuousStateDerivatives: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi3GetEventIndicators: ['int', ['uint64_t', 'uint64_t', 'size_t']],
  fmi3CompletedIntegratorStep: ['int', ['uint64_t', 'bool', 'uint64_t', 'uint64_t']],
};

export type Fmi3Raw = Record<string, Native>;

/** The functions the native stepping helper (stepper.ts) calls itself, by address. */
const STEPPER_SYMBOLS = [
  'fmi3DoStep',
  'fmi3GetFloat64',
  'fmi3GetInt32',
  'fmi3GetBoolean',
  'fmi3GetContinuousStateDerivatives',
  'fmi3SetTime',
  'fmi3SetContinuousStates',
  'fmi3CompletedIntegratorStep',
];

/**
 * Binds the raw FMI 3 functions an interface needs. Get/set functions are required for
 * Float64 and for every type the model description uses; a missing required symbol →
 * FMU_LOAD_FAILED naming it.
 */
export function declareFmi3(lib: LibraryHandle, iface: InterfaceKind, md: ModelDescription, binaryPath: string): Fmi3Raw {
  const raw: Fmi3Raw = {};
  const used = new Set<string>(['Float64', ...md.variables.map((v) => FN_TYPE[v.type] ?? '')]);
  const typed: Record<string, Decl> = {};
  // Configuration Mode (structural parameters) is needed only when a run sets one.
  const optional = new Set<string>(['fmi3EnterConfigurationMode', 'fmi3ExitConfigurationMode']);
  for (const [t, c] of Object.entries(C_TYPES)) {
    typed[`fmi3Get${t}`] = ['int', ['void *', 'const uint32_t *', 'size_t', `${c} *`, 'size_t']];
    typed[`fmi3Set${t}`] = ['int', ['void *', 'const uint32_t *', 'size_t', `const ${c} *`, 'size_t']];
    if (!used.has(t)) optional.add(`fmi3Get${t}`).add(`fmi3Set${t}`);
  }
  if (!md.variables.some((v) => v.type === 'Binary')) optional.add('fmi3GetBinary').add('fmi3SetBinary');
  const table = { ...COMMON, ...typed, ...(iface === 'CS' ? CS : ME) };
  // CS instances may enter event mode only when eventModeUsed; we never ask for it.
  if (iface === 'CS') table.fmi3UpdateDiscreteStates = ME.fmi3UpdateDiscreteStates as Decl;
  if (iface === 'CS') optional.add('fmi3UpdateDiscreteStates');
  for (const [name, [ret, args]] of Object.entries(table)) {
    try {
      raw[name] = lib.func(name, ret, args) as Native;
      // Address variants for PreparedNumeric: handle and arrays as plain numbers.
      if (name in typed) raw[`${name}@addr`] = lib.func(name, 'int', ['uint64_t', 'uint64_t', 'size_t', 'uint64_t', 'size_t']) as Native;
      // The per-step call with handle and out-arguments as plain addresses (no marshalling).
      if (name === 'fmi3DoStep')
        raw['fmi3DoStep@addr'] = lib.func(name, 'int', [
          'uint64_t',
          'double',
          'double',
          'bool',
          'uint64_t',
          'uint64_t',
          'uint64_t',
          'uint64_t',
        ]) as Native;
      const addr = iface === 'ME' ? ME_ADDR[name] : undefined;
      if (addr) raw[`${name}@addr`] = lib.func(name, addr[0], addr[1]) as Native;
      if (STEPPER_SYMBOLS.includes(name)) recordAddress(raw, lib, name);
    } catch (e) {
      if (optional.has(name)) continue;
      throw new GatewayError(
        'FMU_LOAD_FAILED',
        `The FMU binary ${binaryPath} does not export ${name}, required by FMI 3.0 ${iface === 'CS' ? 'Co-Simulation' : 'Model Exchange'}. Rebuild the FMU so that it exports every FMI 3 function.`,
        { symbol: name, binary: binaryPath, cause: e instanceof Error ? e.message : String(e) },
      );
    }
  }
  return raw;
}
