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

/** One native block and its single ArrayBuffer view (koffi.view costs 5-10 µs: made once per slab). */
interface Slab {
  ptr: bigint;
  addr: number;
  buffer: ArrayBuffer;
  size: number;
}

/** Slab size: an instance's scratch (fast-path arguments, chunk rows of a few outputs) fits in one. */
const SLAB_BYTES = 16 * 1024;
/** Slabs kept for the next instance of this process, and the largest one kept (bigger ones are freed). */
const POOL_SLABS = 16;
const POOL_MAX_SLAB_BYTES = 4 * 1024 * 1024;
const pool: Slab[] = [];

/** A native allocation inside a slab: `offset` is where it starts in `buffer`. */
export interface ArenaBlock {
  addr: number | undefined;
  buffer: ArrayBuffer;
  offset: number;
}

/**
 * Native memory owned by one instance (handed back with it). Its addresses are passed to the
 * "@addr" variants of the get/set functions as plain numbers, which skips koffi's
 * typed-array marshalling (~35 ns per call measured on x86_64).
 *
 * Allocations are carved, 8-byte aligned and zeroed, out of slabs; freed slabs go to a small
 * process-wide pool for the next instance. A warm run (a worker re-running its FMU) then costs no
 * koffi.alloc / koffi.view at all: a view per allocation cost ~20 × 5-10 µs per run before.
 * The bindings refuse every use of an instance after free() (live checks), so a reused slab
 * is never written through an old instance's views.
 */
export class NativeArena {
  private readonly slabs: Slab[] = [];
  private used = 0;

  /** `bytes` zeroed bytes, 8-byte aligned; addr is undefined when the address is not an exact double. */
  alloc(bytes: number): ArenaBlock {
    const size = Math.max(8, Math.ceil(bytes / 8) * 8);
    let slab = this.slabs[this.slabs.length - 1];
    if (slab === undefined || this.used + size > slab.size) {
      slab = takeSlab(size);
      this.slabs.push(slab);
      this.used = 0;
    }
    const offset = this.used;
    this.used += size;
    new Uint8Array(slab.buffer, offset, size).fill(0);
    return { addr: Number.isSafeInteger(slab.addr) ? slab.addr + offset : undefined, buffer: slab.buffer, offset };
  }

  freeAll(): void {
    for (const s of this.slabs) {
      if (pool.length < POOL_SLABS && s.size <= POOL_MAX_SLAB_BYTES) pool.push(s);
      else koffi.free(s.ptr);
    }
    this.slabs.length = 0;
    this.used = 0;
  }
}

/** A pooled slab of at least `bytes` (the smallest that fits), else a new one. */
function takeSlab(bytes: number): Slab {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const s = pool[i] as Slab;
    if (s.size >= bytes && (best < 0 || s.size < (pool[best] as Slab).size)) best = i;
  }
  if (best >= 0) return pool.splice(best, 1)[0] as Slab;
  const size = Math.max(SLAB_BYTES, bytes);
  const ptr = koffi.alloc('uint8_t', size) as bigint;
  return { ptr, addr: Number(ptr), buffer: koffi.view(ptr, size), size };
}
