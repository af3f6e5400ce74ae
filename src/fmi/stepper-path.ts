/**
 * Where the native stepping helper (src/fmi/native/stepper.c) is built and looked for: beside the
 * worker bundle, in build/runner/native/, which the worker's sandbox already shows (it binds the
 * bundle's folder). Apart from stepper.ts so the build tool can name it without loading koffi.
 */
import { join } from 'node:path';
import { PROJECT_ROOT, RUNNER_BUILD_DIR } from '../project-root.ts';

/** One file per platform and architecture: a package built on one machine never loads another's. */
export const STEPPER_FILE = `fmu-gateway-stepper-${process.platform}-${process.arch}${process.platform === 'darwin' ? '.dylib' : process.platform === 'win32' ? '.dll' : '.so'}`;

export const STEPPER_PATH = join(RUNNER_BUILD_DIR, 'native', STEPPER_FILE);

/** The C source, in a checkout (an installed package ships the built helper only). */
export const STEPPER_SOURCE = join(PROJECT_ROOT, 'src', 'fmi', 'native', 'stepper.c');
