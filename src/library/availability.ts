/**
 * Can the built-in library (`msl:` models) run on this machine, and if not, what is missing?
 * The package ships the library's FMUs built by `prepack` with linux-x86_64 binaries (and their
 * C sources inside each FMU). Elsewhere the FMUs must be compiled here, which needs a C compiler.
 * Told by `doctor`, `library` and the first `msl:` simulation, in the same words.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { isPackaged } from '../../bin/source-stamp.js';
import { PROJECT_ROOT } from '../project-root.ts';
import { currentPlatform } from '../fmi/platform.ts';

export interface LibraryAvailability {
  /** True when msl: models can run here (catalog present, binaries for this platform in the FMUs). */
  ready: boolean;
  models: number;
  /** FMI 2 platform folder of this machine (linux64, darwin64 …). */
  platform: string;
  /** One sentence: what is there, or what is missing and the command that fixes it. */
  detail: string;
}

/** The command that (re)builds the library from its C sources, in a checkout or an installed package. */
export function libraryBuildCommand(root = PROJECT_ROOT): string {
  return isPackaged(root) ? `node "${join(root, 'build', 'tools', 'build-library.mjs')}" --force` : `npm run build (in ${root})`;
}

/** `compiler`: the C compiler found, false when none was found, undefined when not looked for. */
export function libraryAvailability(buildDir = join(PROJECT_ROOT, 'build', 'library'), compiler?: string | false): LibraryAvailability {
  let platform = `${process.platform}/${process.arch}`;
  try {
    platform = currentPlatform().fmi2;
  } catch {
    // no FMI platform name for this machine: reported as is
  }
  const cc =
    compiler === false ? 'a C compiler (gcc or clang; none was found) and then ' : compiler === undefined ? 'a C compiler (gcc or clang) and ' : '';
  const needs = `${cc}${libraryBuildCommand()}`;
  const catalogPath = join(buildDir, 'catalog.json');
  if (!existsSync(catalogPath)) {
    return { ready: false, models: 0, platform, detail: `not built (${catalogPath} is missing): needs ${needs}` };
  }
  let entries: { fmus?: { '2.0'?: string } }[];
  try {
    entries = JSON.parse(readFileSync(catalogPath, 'utf8')) as typeof entries;
  } catch (e) {
    return { ready: false, models: 0, platform, detail: `catalog unreadable (${(e as Error).message}): needs ${needs}` };
  }
  const first = entries[0]?.fmus?.['2.0'];
  if (first === undefined) return { ready: false, models: 0, platform, detail: `empty catalog: needs ${needs}` };
  let hasBinary = false;
  try {
    hasBinary = new AdmZip(join(buildDir, first)).getEntries().some((e) => e.entryName.startsWith(`binaries/${platform}/`));
  } catch {
    // unreadable FMU: judged below as having no binary
  }
  if (hasBinary) return { ready: true, models: entries.length, platform, detail: `${entries.length} models, binaries for ${platform}` };
  return {
    ready: false,
    models: entries.length,
    platform,
    detail: `${entries.length} models without binaries for ${platform} (prebuilt only for linux64): needs ${needs}`,
  };
}
