/**
 * Loads an unpacked FMU's shared library and returns the version-neutral FmiLibrary.
 * The binary comes from platform.ts (or an explicit path); symbols are resolved up
 * front so a missing export fails at load time with FMU_LOAD_FAILED naming it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LibraryHandle } from 'koffi';
import { GatewayError } from '../errors.ts';
import type { InterfaceKind, ModelDescription } from '../schemas/model-description.ts';
import { declareFmi2, Fmi2InstanceImpl } from './fmi2.ts';
import { declareFmi3, Fmi3InstanceImpl } from './fmi3.ts';
import type { FmiInstance, FmiLibrary, InstantiateOptions } from './instance.ts';
import { koffi } from './koffi-types.ts';
import { findBinary } from './platform.ts';

export interface LoadableFmu {
  unpackedDir: string;
  modelDescription: ModelDescription;
}

/** FMI 2: a file URI of resources/; FMI 3: an absolute path with a trailing separator. */
export function resourceLocation(unpackedDir: string, fmiVersion: '2.0' | '3.0'): string {
  const dir = join(unpackedDir, 'resources');
  if (fmiVersion === '3.0') return dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}${process.platform === 'win32' ? '\\' : '/'}`;
  const uri = pathToFileURL(dir).href;
  return uri.endsWith('/') ? uri : `${uri}/`;
}

export function loadFmiLibrary(fmu: LoadableFmu, iface: InterfaceKind, opts: { binaryPath?: string } = {}): FmiLibrary {
  const md = fmu.modelDescription;
  const caps = iface === 'CS' ? md.co_simulation : md.model_exchange;
  if (!caps) {
    throw new GatewayError('BAD_REQUEST', `The FMU "${md.model_name}" does not provide ${iface === 'CS' ? 'Co-Simulation' : 'Model Exchange'}; use interface ${iface === 'CS' ? 'ME' : 'CS'}.`);
  }
  const binaryPath = opts.binaryPath ?? findBinary(fmu.unpackedDir, md, iface);
  if (!existsSync(binaryPath)) throw new GatewayError('FMU_LOAD_FAILED', `The FMU binary ${binaryPath} does not exist.`, { binary: binaryPath });
  let lib: LibraryHandle;
  try {
    lib = koffi.load(binaryPath);
  } catch (e) {
    throw new GatewayError('FMU_LOAD_FAILED', `Cannot load the FMU binary ${binaryPath}: ${e instanceof Error ? e.message : String(e)}`, { binary: binaryPath });
  }
  try {
    return md.fmi_version === '2.0' ? fmi2Library(lib, fmu, iface, binaryPath) : fmi3Library(lib, fmu, iface, binaryPath);
  } catch (e) {
    lib.unload();
    throw e;
  }
}

function fmi2Library(lib: LibraryHandle, fmu: LoadableFmu, iface: InterfaceKind, binaryPath: string): FmiLibrary {
  const raw = declareFmi2(lib, iface, binaryPath);
  const resources = resourceLocation(fmu.unpackedDir, '2.0');
  return makeLibrary(lib, fmu.modelDescription, iface, (o) => new Fmi2InstanceImpl(raw, fmu.modelDescription, resources, o));
}

function fmi3Library(lib: LibraryHandle, fmu: LoadableFmu, iface: InterfaceKind, binaryPath: string): FmiLibrary {
  const raw = declareFmi3(lib, iface, fmu.modelDescription, binaryPath);
  const resources = resourceLocation(fmu.unpackedDir, '3.0');
  return makeLibrary(lib, fmu.modelDescription, iface, (o) => new Fmi3InstanceImpl(raw, fmu.modelDescription, resources, o));
}

function makeLibrary(lib: LibraryHandle, md: ModelDescription, iface: InterfaceKind, create: (o: InstantiateOptions) => FmiInstance): FmiLibrary {
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
    unload(): void {
      if (!loaded) return;
      // Instances left alive would call into unmapped code: free them first.
      for (const inst of [...live]) inst.free();
      loaded = false;
      lib.unload();
    },
  };
}
