/**
 * The native stepping helper (src/fmi/native/stepper.c, built by tools/build-stepper.ts): chunks of
 * plain Co-Simulation steps and explicit-Euler Model Exchange steps in C, one koffi call per chunk
 * instead of two to four per step. Loaded once per process, lazily; absent or unloadable (no C
 * compiler at build time, another platform, an old build), the engine steps call by call through
 * koffi with the same results. FMU_GATEWAY_NATIVE_STEPPER=0 turns it off (tests compare both paths).
 */
import { existsSync } from 'node:fs';
import { koffi } from './koffi-types.ts';
import type { NativeStatus } from './fmi3-raw.ts';
import { STEPPER_PATH } from './stepper-path.ts';

/** stepper.c's FGW_ABI: a helper built from other sources is not used. */
const ABI = 5;

export interface NativeStepper {
  /** fgw_cs(p, d), fgw_me_euler(p, d): addresses of the pointer and double blocks. */
  cs: NativeStatus;
  meEuler: NativeStatus;
}

let loaded: NativeStepper | null | undefined;

/** Chunks run so far in this process (tests check the helper really ran). */
export const stepperUse = { chunks: 0 };

/** The helper, or undefined (then the engine steps call by call). Read per run: cheap after the first. */
export function nativeStepper(): NativeStepper | undefined {
  // eslint-disable-next-line no-restricted-properties -- a switch for tests and benchmarks, read where the helper is used (inside the worker, before any config)
  if (process.env.FMU_GATEWAY_NATIVE_STEPPER === '0') return undefined;
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (!existsSync(STEPPER_PATH)) return undefined;
  try {
    const lib = koffi.load(STEPPER_PATH);
    const abi = lib.func('fgw_abi', 'int', []) as () => number;
    if (abi() !== ABI) return undefined;
    loaded = {
      cs: lib.func('fgw_cs', 'void', ['uint64_t', 'uint64_t']) as NativeStatus,
      meEuler: lib.func('fgw_me_euler', 'void', ['uint64_t', 'uint64_t']) as NativeStatus,
    };
  } catch {
    // Unloadable (wrong architecture, missing symbols): the engine steps through koffi.
  }
  return loaded ?? undefined;
}
