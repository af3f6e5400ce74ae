/**
 * The built-in model catalog: reads build/library/catalog.json (written by `npm run build`,
 * tools/build-library.ts), answers list / get, and resolves "msl:<Name>" ids to FMU files.
 *
 * One JSON read + a zod check at first use (a few ms for the whole library); afterwards every
 * call works on the in-memory entries. createCatalog() defers that read, so a face that never
 * touches the library (e.g. simulating an uploaded FMU) starts even when the library is not built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { DefaultExperiment, FmiVersion, InterfaceKind } from '../schemas/model-description.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { libraryBuildCommand } from './availability.ts';
import { CatalogFileSchema } from './catalog-schema.ts';
import type { CatalogFileEntry, CatalogVariable } from './catalog-schema.ts';
import { closeMatches, rankEntries } from './search.ts';

export type { CatalogVariable } from './catalog-schema.ts';

export const DEFAULT_LIBRARY_BUILD_DIR = join(PROJECT_ROOT, 'build', 'library');
const DEFAULT_LIMIT = 50;

export type LibraryFmiVersion = FmiVersion;

export interface LibraryEntry {
  /** "msl:<Name>". */
  id: string;
  name: string;
  description: string;
  tags: string[];
  /** One equation (or group) per element, as plain text. */
  equations: string[];
  fmi_versions: LibraryFmiVersion[];
  interfaces: InterfaceKind[];
  default_experiment: DefaultExperiment;
  parameters: CatalogVariable[];
  inputs: CatalogVariable[];
  outputs: CatalogVariable[];
  /** Every variable (time, states, derivatives, locals too), in value-reference order. */
  variables: CatalogVariable[];
  reference: { kind: 'closed_form' | 'numerical'; text: string };
  counts: { inputs: number; outputs: number; parameters: number };
}

export interface Catalog {
  /** Folder holding catalog.json and the FMUs. */
  readonly buildDir: string;
  /** Models matching every word of `query` (name, tags, description, variable names), best first; all when no query. */
  list(query?: string, limit?: number): LibraryEntry[];
  /** By name ("Pendulum") or id ("msl:Pendulum"); undefined when unknown. */
  get(name: string): LibraryEntry | undefined;
  /** The FMU of an id for an FMI version (default 3.0). NOT_FOUND with close matches for unknown ids. */
  resolve(id: string, fmiVersion?: LibraryFmiVersion): { entry: LibraryEntry; fmuPath: string };
}

export interface CatalogOptions {
  /** Where catalog.json and the FMUs are (default <project>/build/library). */
  buildDir?: string;
}

function notBuilt(catalogPath: string): GatewayError {
  return new GatewayError('NOT_FOUND',
    `The built-in model library is not built (${catalogPath} is missing). Build it with: ${libraryBuildCommand()}; it needs a C compiler (gcc or clang). \`fmu-gateway doctor\` tells what this machine has.`,
    { reason: 'library_not_built', catalog_path: catalogPath, hint: libraryBuildCommand() });
}

function toEntry(e: CatalogFileEntry): LibraryEntry {
  const equations = typeof e.equations === 'string'
    ? e.equations.split('\n').map((l) => l.trim()).filter((l) => l.length > 0)
    : e.equations;
  const by = (c: string): CatalogVariable[] => e.variables.filter((v) => v.causality === c);
  const parameters = by('parameter'), inputs = by('input'), outputs = by('output');
  return {
    id: e.id, name: e.name, description: e.description, tags: e.tags, equations,
    fmi_versions: e.fmi_versions, interfaces: e.interfaces, default_experiment: e.default_experiment,
    parameters, inputs, outputs, variables: e.variables, reference: e.reference,
    counts: { inputs: inputs.length, outputs: outputs.length, parameters: parameters.length },
  };
}

/** Reads and checks catalog.json. Throws NOT_FOUND (library not built) or INTERNAL (corrupt file). */
function readEntries(buildDir: string): { entries: LibraryEntry[]; fmus: Map<string, CatalogFileEntry['fmus']> } {
  const catalogPath = join(buildDir, 'catalog.json');
  if (!existsSync(catalogPath)) throw notBuilt(catalogPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(catalogPath, 'utf8'));
  } catch (e) {
    throw new GatewayError('INTERNAL', `${catalogPath} is not valid JSON (${(e as Error).message}). Rebuild it with \`npm run build -- --force\`.`, { catalog_path: catalogPath });
  }
  const parsed = CatalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new GatewayError('INTERNAL', `${catalogPath} does not have the expected shape: ${z.prettifyError(parsed.error)}. Rebuild it with \`npm run build -- --force\`.`, { catalog_path: catalogPath });
  }
  const entries = parsed.data.map(toEntry);
  return { entries, fmus: new Map(parsed.data.map((e) => [e.name, e.fmus])) };
}

class FileCatalog implements Catalog {
  readonly buildDir: string;
  private loaded: { entries: LibraryEntry[]; byName: Map<string, LibraryEntry>; fmus: Map<string, CatalogFileEntry['fmus']> } | undefined;

  constructor(buildDir: string, eager: boolean) {
    this.buildDir = resolvePath(buildDir);
    if (eager) this.load();
  }

  private load(): NonNullable<FileCatalog['loaded']> {
    if (this.loaded === undefined) {
      const { entries, fmus } = readEntries(this.buildDir);
      this.loaded = { entries, fmus, byName: new Map(entries.map((e) => [e.name, e])) };
    }
    return this.loaded;
  }

  list(query?: string, limit = DEFAULT_LIMIT): LibraryEntry[] {
    return rankEntries(this.load().entries, query).slice(0, Math.max(0, limit));
  }

  get(name: string): LibraryEntry | undefined {
    return this.load().byName.get(name.startsWith('msl:') ? name.slice(4) : name);
  }

  resolve(id: string, fmiVersion: LibraryFmiVersion = '3.0'): { entry: LibraryEntry; fmuPath: string } {
    const { entries, byName, fmus } = this.load();
    const name = id.startsWith('msl:') ? id.slice(4) : undefined;
    const entry = name === undefined ? undefined : byName.get(name);
    if (entry === undefined) {
      const suggestions = closeMatches(name ?? id, entries.map((e) => e.name)).map((n) => `msl:${n}`);
      const why = name === undefined ? `"${id}" is not a library id (library ids look like "msl:<Name>")` : `No library model "${id}"`;
      throw new GatewayError('NOT_FOUND',
        `${why}. ${suggestions.length > 0 ? `Did you mean ${suggestions.join(', ')}? ` : ''}Call list_library to see the ${entries.length} built-in models.`,
        { id, suggestions });
    }
    const rel = fmus.get(entry.name)?.[fmiVersion];
    if (!entry.fmi_versions.includes(fmiVersion) || rel === undefined) {
      throw new GatewayError('BAD_REQUEST', `${id} is not built for FMI ${fmiVersion}; it is available as FMI ${entry.fmi_versions.join(', ')}.`,
        { id, fmi_version: fmiVersion, available: entry.fmi_versions });
    }
    const fmuPath = resolvePath(this.buildDir, rel);
    if (!existsSync(fmuPath)) {
      throw new GatewayError('NOT_FOUND', `The FMU of ${id} (FMI ${fmiVersion}) is missing at ${fmuPath}. Rebuild the library with \`npm run build\`.`,
        { id, fmi_version: fmiVersion, path: fmuPath, reason: 'library_not_built', hint: 'npm run build' });
    }
    return { entry, fmuPath };
  }
}

/** Reads the catalog now; throws when the library is not built (NOT_FOUND) or the file is corrupt (INTERNAL). */
export function loadCatalog(opts: CatalogOptions = {}): Catalog {
  return new FileCatalog(opts.buildDir ?? DEFAULT_LIBRARY_BUILD_DIR, true);
}

/** Same catalog, read at first use (the errors of loadCatalog surface from that call). */
export function createCatalog(opts: CatalogOptions = {}): Catalog {
  return new FileCatalog(opts.buildDir ?? DEFAULT_LIBRARY_BUILD_DIR, false);
}
