/**
 * Loads an unpacked FMU's shared library and returns the version-neutral FmiLibrary.
 * The binary comes from platform.ts (or an explicit path); symbols are resolved up
 * front so a missing export fails at load time with FMU_LOAD_FAILED naming it.
 *
 * A library and its bound functions are kept for the life of the process and reused by the
 * next run of the same binary: a worker process only ever runs one FMU (src/runner reuse
 * rules), sweeps then skip the dlopen and symbol binding, and the per-step native calls keep
 * the same function objects, which V8 can call through its fast path (a fresh binding per
 * run costs ~15-20 ns per native call). dlopen would return the same mapping anyway.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LibraryHandle } from 'koffi';
import { GatewayError } from '../errors.ts';
import type { InterfaceKind, ModelDescription } from '../schemas/model-description.ts';
import { Fmi2InstanceImpl } from './fmi2.ts';
import { declareFmi2, type Fmi2Raw } from './fmi2-raw.ts';
import { Fmi3InstanceImpl } from './fmi3.ts';
import { declareFmi3, type Fmi3Raw } from './fmi3-raw.ts';
import type { FmiInstance, FmiLibrary, InstantiateOptions } from './instance.ts';
import { koffi } from './koffi-types.ts';
import { findBinary } from './platform.ts';
import { resolveInside } from './safe-path.ts';
import { assertRunnable } from './unsupported-features.ts';

export interface LoadableFmu {
  unpackedDir: string;
  modelDescription: ModelDescription;
}

/** FMI 2: a file URI of resources/; FMI 3: an absolute path with a trailing separator. */
export function resourceLocation(unpackedDir: string, fmiVersion: '2.0' | '3.0'): string {
  const dir = resolveInside(unpackedDir, 'resources', { what: 'resources/' });
  if (fmiVersion === '3.0') return dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}${process.platform === 'win32' ? '\\' : '/'}`;
  const uri = pathToFileURL(dir).href;
  return uri.endsWith('/') ? uri : `${uri}/`;
}

export function loadFmiLibrary(fmu: LoadableFmu, iface: InterfaceKind, opts: { binaryPath?: string } = {}): FmiLibrary {
  const md = fmu.modelDescription;
  assertRunnable(md); // before any native code: clocks etc. are refused with UNSUPPORTED_FEATURE
  const caps = iface === 'CS' ? md.co_simulation : md.model_exchange;
  if (!caps) {
    throw new GatewayError(
      'BAD_REQUEST',
      `The FMU "${md.model_name}" does not provide ${iface === 'CS' ? 'Co-Simulation' : 'Model Exchange'}; use interface ${iface === 'CS' ? 'ME' : 'CS'}.`,
    );
  }
  const paths = resolvedPaths(fmu, iface, opts.binaryPath);
  const binaryPath = paths.binary;
  if (!existsSync(binaryPath))
    throw new GatewayError('FMU_LOAD_FAILED', `The FMU binary ${binaryPath} does not exist.`, { binary: binaryPath });
  const key = JSON.stringify([binaryPath, iface, md.fmi_version, md.guid]);
  let bound = bindings.get(key);
  if (bound === undefined) {
    bound = bind(binaryPath, fmu, iface);
    bindings.set(key, bound);
  }
  const raw = bound.raw;
  const resources = paths.resources;
  return makeLibrary(
    md,
    iface,
    md.fmi_version === '2.0' ? (o) => new Fmi2InstanceImpl(raw, md, resources, o) : (o) => new Fmi3InstanceImpl(raw, md, resources, o),
  );
}

/**
 * The binary and resources paths of an unpacked FMU, proven inside it (resolveInside: realpath and
 * lstat of every level, ~0.4 ms) once per process: an unpacked FMU is a content-addressed folder
 * that does not change once unpacked, and a worker re-running its FMU (warm calls, sweeps) would
 * otherwise repeat the same file-system walk per run.
 */
const paths = new Map<string, { binary: string; resources: string }>();

function resolvedPaths(fmu: LoadableFmu, iface: InterfaceKind, binaryPath: string | undefined): { binary: string; resources: string } {
  const md = fmu.modelDescription;
  const caps = iface === 'CS' ? md.co_simulation : md.model_exchange;
  const key = JSON.stringify([fmu.unpackedDir, iface, md.fmi_version, caps?.model_identifier, binaryPath ?? null]);
  let p = paths.get(key);
  if (p === undefined) {
    p = { binary: binaryPath ?? findBinary(fmu.unpackedDir, md, iface), resources: resourceLocation(fmu.unpackedDir, md.fmi_version) };
    if (paths.size >= 64) paths.clear(); // a long-lived process that runs many FMUs keeps no stale list
    paths.set(key, p);
  }
  return p;
}

/** Loaded libraries and their bound functions, by binary, interface, FMI version and GUID. */
const bindings = new Map<string, { lib: LibraryHandle; raw: Fmi2Raw | Fmi3Raw }>();

function bind(binaryPath: string, fmu: LoadableFmu, iface: InterfaceKind): { lib: LibraryHandle; raw: Fmi2Raw | Fmi3Raw } {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(binaryPath);
  } catch (e) {
    throw new GatewayError('FMU_LOAD_FAILED', `Cannot load the FMU binary ${binaryPath}: ${e instanceof Error ? e.message : String(e)}`, {
      binary: binaryPath,
    });
  }
  try {
    const md = fmu.modelDescription;
    return { lib, raw: md.fmi_version === '2.0' ? declareFmi2(lib, iface, binaryPath) : declareFmi3(lib, iface, md, binaryPath) };
  } catch (e) {
    lib.unload();
    throw e;
  }
}

function makeLibrary(md: ModelDescription, iface: InterfaceKind, create: (o: InstantiateOptions) => FmiInstance): FmiLibrary {
  const live = new Set<FmiInstance>();
  let loaded = true;
  return {
    modelDescription: md,
    instantiate(options: InstantiateOptions): FmiInstance {
      if (!loaded) throw new GatewayError('INTERNAL', 'instantiate() after unload().');
      if (options.interface !== iface) {
        throw new GatewayError('INTERNAL', `This library was loaded for ${iface}; instantiate with the same interface.`);
      }
      const inst = create(options);
      live.add(inst);
      const free = inst.free.bind(inst);
      inst.free = () => {
        live.delete(inst);
        free();
      };
      return inst;
    },
    /** Frees instances left alive; the shared library itself stays loaded for reuse (see above). */
    unload(): void {
      if (!loaded) return;
      for (const inst of [...live]) inst.free();
      loaded = false;
    },
  };
}
