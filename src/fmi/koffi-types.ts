/**
 * koffi type declarations shared by the FMI 2 and FMI 3 bindings: status codes,
 * branded handle types, callback prototypes and the libc allocator symbols.
 * Only src/fmi imports koffi (eslint no-restricted-imports enforces it elsewhere).
 */
import koffi from 'koffi';
import { GatewayError } from '../errors.ts';
import type { FmiStatusName } from './instance.ts';

/** koffi 3 returns pointers as bigint; a brand per FMI version keeps handles apart. */
export type Fmi2Component = bigint & { readonly __brand: 'fmi2Component' };
export type Fmi3Instance = bigint & { readonly __brand: 'fmi3Instance' };

/** FMI 2 and FMI 3 share the numbering of the first five statuses; FMI 2 adds Pending = 5. */
export const STATUS_NAMES: readonly FmiStatusName[] = ['OK', 'Warning', 'Discard', 'Error', 'Fatal', 'Pending'];
export const STATUS_OK = 0;
export const STATUS_WARNING = 1;
export const STATUS_DISCARD = 2;
export const STATUS_ERROR = 3;
/** FMI 2 only, from an asynchronous fmi2DoStep. */
export const STATUS_PENDING = 5;

export function statusName(code: number): FmiStatusName {
  return STATUS_NAMES[code] ?? 'Fatal';
}

/**
 * FMI 2 logger: `void logger(env, instanceName, status, category, message, ...)`.
 * It is variadic; we declare the fixed part plus six trailing int64 and eight double
 * parameters. On x86_64 System V the caller puts the first variadic integer/pointer
 * argument in r9 and the rest on the stack, and variadic doubles in xmm0..xmm7, so
 * these trailing parameters receive the printf arguments (see logger.ts for when this
 * is used and when we fall back to the raw format string).
 */
export const Fmi2LoggerProto = koffi.proto(
  'void fmi2CallbackLogger(void *env, const char *instanceName, int status, const char *category, const char *message,' +
    ' int64_t i0, int64_t i1, int64_t i2, int64_t i3, int64_t i4, int64_t i5,' +
    ' double d0, double d1, double d2, double d3, double d4, double d5, double d6, double d7)',
);

/** fmi2CallbackFunctions; the FMU may keep a pointer to it, so it lives in koffi.alloc'ed memory. */
export const Fmi2CallbackFunctions = koffi.struct('fmi2CallbackFunctions', {
  logger: 'void *',
  allocateMemory: 'void *',
  freeMemory: 'void *',
  stepFinished: 'void *',
  componentEnvironment: 'void *',
});

/** FMI 3 log callback (not variadic): `void logMessage(env, status, category, message)`. */
export const Fmi3LogMessageProto = koffi.proto(
  'void fmi3LogMessageCallback(void *instanceEnvironment, int status, const char *category, const char *message)',
);

let libcSymbols: { calloc: bigint; free: bigint } | undefined;

/**
 * Addresses of the C library's calloc and free, handed to FMI 2 FMUs as
 * allocateMemory / freeMemory. Native pointers avoid a JS round trip per allocation.
 */
export function libcAllocators(): { calloc: bigint; free: bigint } {
  if (libcSymbols) return libcSymbols;
  const candidates =
    process.platform === 'darwin'
      ? ['libSystem.B.dylib']
      : process.platform === 'win32'
        ? ['ucrtbase.dll', 'msvcrt.dll']
        : ['libc.so.6', 'libc.so'];
  for (const name of candidates) {
    try {
      const lib = koffi.load(name);
      const calloc = lib.symbol('calloc') as unknown;
      const free = lib.symbol('free') as unknown;
      if (typeof calloc === 'bigint' && typeof free === 'bigint') {
        libcSymbols = { calloc, free };
        return libcSymbols;
      }
    } catch {
      // try the next candidate name
    }
  }
  throw new GatewayError('FMU_LOAD_FAILED', 'Cannot find calloc/free in the C library, needed by FMI 2 FMUs.');
}

/** Reads a NUL-terminated C string at a native address (0 → ''). */
export function readCString(ptr: bigint | number | null): string {
  if (ptr === null || ptr === 0 || ptr === 0n) return '';
  return koffi.decode.string(BigInt(ptr));
}

export { koffi };

/** Typed-array constructors by C element type, for views of native memory. */
export type NumericCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/**
 * Native memory owned by one instance (freed with it). Its addresses are passed to the
 * "@addr" variants of the get/set functions as plain numbers, which skips koffi's
 * typed-array marshalling (~35 ns per call measured on x86_64).
 */
export class NativeArena {
  private readonly blocks: bigint[] = [];

  /** `bytes` zeroed bytes; addr is undefined when the address is not an exact double. */
  alloc(bytes: number): { ptr: bigint; addr: number | undefined; buffer: ArrayBuffer } {
    const size = Math.max(8, bytes);
    const ptr = koffi.alloc('uint8_t', size) as bigint;
    this.blocks.push(ptr);
    const buffer = koffi.view(ptr, size);
    new Uint8Array(buffer).fill(0);
    const addr = Number(ptr);
    return { ptr, addr: Number.isSafeInteger(addr) ? addr : undefined, buffer };
  }

  freeAll(): void {
    for (const p of this.blocks) koffi.free(p);
    this.blocks.length = 0;
  }
}
