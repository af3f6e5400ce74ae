/**
 * Builds the native stepping helper src/fmi/native/stepper.c into build/runner/native/ (see
 * src/fmi/stepper.ts). Optional: without it (no C compiler, another platform) the engine steps
 * through koffi call by call, with the same results, only slower.
 *
 *   node --import tsx tools/build-stepper.ts [--if-compiler]
 *
 * --if-compiler: when no C compiler is installed, say so and exit 0 (postinstall, build).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STEPPER_PATH, STEPPER_SOURCE } from '../src/fmi/stepper-path.ts';
import { COMPILER_HINT, findCCompiler } from './fmu-builder.ts';

/** Compiles the helper when it is missing or older than its source; returns its path, or undefined without a compiler. */
export function buildStepper(options: { force?: boolean } = {}): string | undefined {
  if (
    options.force !== true &&
    existsSync(STEPPER_PATH) &&
    (!existsSync(STEPPER_SOURCE) || statSync(STEPPER_PATH).mtimeMs >= statSync(STEPPER_SOURCE).mtimeMs)
  )
    return STEPPER_PATH;
  const cc = findCCompiler();
  if (cc === undefined) return undefined;
  mkdirSync(dirname(STEPPER_PATH), { recursive: true });
  const tmp = `${STEPPER_PATH}.${process.pid}.tmp`;
  // -ffp-contract=off: no fused multiply-add, so the loops round as the JavaScript doubles do.
  execFileSync(cc, ['-O2', '-fPIC', '-shared', '-ffp-contract=off', '-o', tmp, STEPPER_SOURCE], { stdio: 'inherit' });
  renameSync(tmp, STEPPER_PATH);
  return STEPPER_PATH;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = buildStepper({ force: process.argv.includes('--force') });
  if (built !== undefined) console.error(`native stepper: ${built}`);
  else if (process.argv.includes('--if-compiler'))
    console.error(`native stepper not built (the engine steps through koffi): ${COMPILER_HINT}`);
  else {
    console.error(COMPILER_HINT);
    process.exit(1);
  }
}
