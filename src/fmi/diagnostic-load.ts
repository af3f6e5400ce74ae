/**
 * Diagnostic only (runner self-tests, `fmu-gateway doctor`): dlopen a shared library in the
 * current process and optionally call one `int symbol(void)`. Lives in src/fmi because only
 * this folder may import koffi. Runs inside a sandboxed worker, never in the server.
 */
import koffi from 'koffi';
import { GatewayError } from '../errors.ts';

export function loadLibraryDiagnostic(path: string, symbol?: string): { loaded: true; returned?: number } {
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new GatewayError('FMU_LOAD_FAILED', `Cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    if (symbol === undefined) return { loaded: true };
    const fn = lib.func(`int ${symbol}(void)`);
    return { loaded: true, returned: fn() as number };
  } finally {
    lib.unload();
  }
}
