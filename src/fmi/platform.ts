/**
 * Which binaries/<platform>/ folder of an FMU this machine can load, and where its library is.
 * FMI 2 names platforms `linux64`, `win64`, `darwin64`; FMI 3 uses `<arch>-<os>` tuples.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { escapeForText } from '../text-escape.ts';
import { resolveInside } from './safe-path.ts';
import type { InterfaceKind, ModelDescription } from '../schemas/model-description.ts';

export interface PlatformNames {
  /** FMI 2 folder name, e.g. 'linux64'. */
  fmi2: string;
  /** FMI 3 tuple, e.g. 'x86_64-linux'. */
  fmi3: string;
  /** Shared-library extension with the dot, e.g. '.so'. */
  ext: string;
}

const OS: Record<string, { fmi2: string; fmi3: string; ext: string } | undefined> = {
  linux: { fmi2: 'linux', fmi3: 'linux', ext: '.so' },
  darwin: { fmi2: 'darwin', fmi3: 'darwin', ext: '.dylib' },
  win32: { fmi2: 'win', fmi3: 'windows', ext: '.dll' },
};

const ARCH: Record<string, string | undefined> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'x86', arm: 'aarch32' };

export function platformFor(nodePlatform: string, nodeArch: string): PlatformNames {
  const os = OS[nodePlatform];
  const arch = ARCH[nodeArch];
  if (!os || !arch) {
    throw new GatewayError('PLATFORM_UNSUPPORTED', `FMUs cannot run on ${nodePlatform}/${nodeArch}: FMI defines no binary folder for it`, {
      platform: `${nodePlatform}/${nodeArch}`,
    });
  }
  const fmi3 = `${arch}-${os.fmi3}`;
  // FMI 2 only standardized 32/64-bit x86 names. For ARM the de-facto folder is the FMI 3 tuple on
  // Linux, and darwin64 on macOS (universal binaries are shipped there).
  let fmi2: string;
  if (arch === 'x86_64') fmi2 = `${os.fmi2}64`;
  else if (arch === 'x86') fmi2 = `${os.fmi2}32`;
  else if (nodePlatform === 'darwin') fmi2 = 'darwin64';
  else fmi2 = fmi3;
  return { fmi2, fmi3, ext: os.ext };
}

export function currentPlatform(): PlatformNames {
  return platformFor(process.platform, process.arch);
}

/** Folder names to look for, best first. FMI 2 FMUs sometimes use the FMI 3 tuple (ARM exporters). */
export function platformCandidates(fmiVersion: '2.0' | '3.0', p: PlatformNames = currentPlatform()): string[] {
  return fmiVersion === '2.0' ? [...new Set([p.fmi2, p.fmi3])] : [p.fmi3];
}

/** The platform folder name for this machine and FMI version (where a build of sources goes). */
export function platformFolder(fmiVersion: '2.0' | '3.0', p: PlatformNames = currentPlatform()): string {
  return fmiVersion === '2.0' ? p.fmi2 : p.fmi3;
}

/**
 * Platform folders present under binaries/ that hold at least one file, sorted.
 * `fmiVersion` is accepted for symmetry with findBinary; every folder is listed either way so a
 * user sees exactly what the FMU carries, even when named by another FMI version's convention.
 */
export function listPlatforms(unpackedDir: string, _fmiVersion?: '2.0' | '3.0'): string[] {
  const bin = join(unpackedDir, 'binaries');
  let names: string[];
  try {
    names = readdirSync(bin);
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      const dir = join(bin, n);
      try {
        return statSync(dir).isDirectory() && readdirSync(dir).length > 0;
      } catch {
        return false;
      }
    })
    .sort();
}

/** The model identifier of one interface, or BAD_REQUEST naming the interfaces the FMU offers. */
export function modelIdentifierOf(md: ModelDescription, iface: InterfaceKind): string {
  const caps = iface === 'ME' ? md.model_exchange : md.co_simulation;
  if (!caps) {
    const offered = [md.model_exchange ? 'ME' : '', md.co_simulation ? 'CS' : ''].filter(Boolean).join(', ');
    throw new GatewayError(
      'BAD_REQUEST',
      `${md.model_name} does not implement ${iface === 'ME' ? 'Model Exchange' : 'Co-Simulation'}; it offers: ${offered}. Choose interface ${offered.split(', ')[0] ?? ''}.`,
      {
        interface: iface,
        offered: offered.split(', '),
      },
    );
  }
  return caps.model_identifier;
}

/**
 * Absolute path of the shared library this machine should load for `iface`, or
 * PLATFORM_UNSUPPORTED listing the platforms the FMU carries and whether it has sources.
 */
export function findBinary(unpackedDir: string, md: ModelDescription, iface: InterfaceKind): string {
  const p = currentPlatform();
  const id = modelIdentifierOf(md, iface);
  for (const folder of platformCandidates(md.fmi_version, p)) {
    // id is FMU data (a C identifier by parse-time check); the final path is proven under binaries/.
    const file = resolveInside(join(unpackedDir, 'binaries'), [folder, id + p.ext], {
      code: 'MODEL_DESCRIPTION_INVALID',
      what: `the binary for modelIdentifier "${escapeForText(id, 80)}"`,
      data: { attribute: 'modelIdentifier' },
    });
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  const available = listPlatforms(unpackedDir, md.fmi_version);
  const hasSources = existsSync(join(unpackedDir, 'sources'));
  const wanted = platformFolder(md.fmi_version, p);
  const carries = available.length > 0 ? `it carries binaries for: ${available.join(', ')}` : 'it carries no binaries';
  const hint = hasSources
    ? 'It has sources/: compile it for this platform (a C compiler is needed), or run it on a matching machine (remote mode).'
    : 'It has no sources/ to compile, so run it on a matching machine (remote mode) or export it for this platform.';
  throw new GatewayError(
    'PLATFORM_UNSUPPORTED',
    `${md.model_name} has no ${iface} binary for this platform (${wanted}/${id}${p.ext}); ${carries}. ${hint}`,
    {
      platform: wanted,
      available,
      has_sources: hasSources,
      model_identifier: id,
    },
  );
}
