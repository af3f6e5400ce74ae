/**
 * What a user may add to a source build (compile_options of upload_fmu / the CLI's --include-dir
 * and --define), checked against the unpacked FMU, and the gateway's own build inputs: the FMI
 * header folder and the aliases that make <modelIdentifier>_-prefixed functions loadable.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { GatewayError } from '../errors.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import type { CompileOptions } from '../schemas/upload.ts';
import type { OpenedFmu } from './opened-fmu.ts';

/** Our FMI 2.0 / 3.0 headers under the standard names (library/include/fmi), searched last. */
export const FMI_HEADERS_DIR = join(PROJECT_ROOT, 'library', 'include', 'fmi');

/** Validated compile options, defaults filled in (the schema's output type). */
export type UserCompileOptions = Required<CompileOptions>;

export function hasCompileOptions(o: CompileOptions | undefined): o is CompileOptions {
  return o !== undefined && ((o.include_dirs?.length ?? 0) > 0 || (o.defines?.length ?? 0) > 0);
}

/**
 * The schema checked the shape (relative names, C identifiers, safe values); here each include
 * dir must resolve inside this FMU's sources/ and be a directory there. Sorted and deduplicated,
 * so equal options give the same fmu_id and build cache entry.
 */
export function checkCompileOptions(fmu: OpenedFmu, o: CompileOptions): UserCompileOptions {
  const bad = (message: string, data: Record<string, unknown>): GatewayError =>
    new GatewayError('BAD_REQUEST', message, {
      ...data,
      hint: 'compile_options.include_dirs are folders inside the FMU\'s sources/ (e.g. "include"); defines are NAME or NAME=value.',
    });
  if (!fmu.hasSources) {
    throw bad('compile_options were given but this FMU has no sources/ folder, so nothing is compiled', { field: 'compile_options' });
  }
  const sourcesDir = join(fmu.unpackedDir, 'sources');
  const includeDirs = [...new Set(o.include_dirs ?? [])].sort();
  for (const d of includeDirs) {
    // The schema already refused absolute names and ".."; resolving is the second, independent check.
    const full = resolve(sourcesDir, d);
    if (!full.startsWith(sourcesDir + sep))
      throw bad(`compile_options.include_dirs: "${d}" is not inside sources/`, { field: 'include_dirs', value: d });
    if (!existsSync(full) || !lstatSync(full).isDirectory()) {
      throw bad(`compile_options.include_dirs: sources/${d} is not a folder of this FMU`, { field: 'include_dirs', value: d });
    }
  }
  return { include_dirs: includeDirs, defines: [...new Set(o.defines ?? [])].sort() };
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * [plain, prefixed] pairs for FMI functions the library exports only as <id>_fmiXxx: the
 * FMI2_FUNCTION_PREFIX / FMI3_FUNCTION_PREFIX convention of source-code FMUs. Empty when the plain
 * names are there already (our headers drop the prefix when the gateway builds).
 */
export function prefixAliases(exported: ReadonlySet<string>, modelIdentifier: string, fmiVersion: '2.0' | '3.0'): [string, string][] {
  const fn = fmiVersion === '2.0' ? /^fmi2[A-Z][A-Za-z0-9]*$/ : /^fmi3[A-Z][A-Za-z0-9]*$/;
  const prefix = `${modelIdentifier}_`;
  if (!SYMBOL.test(modelIdentifier)) return [];
  const out: [string, string][] = [];
  for (const name of exported) {
    if (!name.startsWith(prefix)) continue;
    const plain = name.slice(prefix.length);
    if (fn.test(plain) && !exported.has(plain) && SYMBOL.test(name)) out.push([plain, name]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
