/**
 * fmu_id → a validated, unpacked FMU: "msl:<Name>" through the library catalog, "sha256:<hex>"
 * through the upload store. Opened FMUs are remembered per context (keyed by file path, size and
 * mtime) so a sweep of many runs does not re-hash the archive every time, and by sha256 in the
 * off-thread opener, so a description is parsed once per FMU, never per simulate.
 */
import { statSync } from 'node:fs';
import { GatewayError } from '../errors.ts';
import type { FmuSource } from '../fmi/archive.ts';
import { openFmu } from '../fmi/archive.ts';
import type { ArchiveLimits, OpenedFmu } from '../fmi/opened-fmu.ts';
import { LIBRARY_ID_PATTERN, UPLOADED_ID_PATTERN } from '../schemas/common.ts';
import type { StoredCompileOptions } from '../store/fmu-file-store.ts';
import type { CatalogEntryLike, ServiceContext } from './context.ts';

export interface ResolvedFmu {
  fmuId: string;
  source: 'library' | 'uploaded';
  opened: OpenedFmu;
  /** Library models only. */
  entry?: CatalogEntryLike;
  /** Uploaded FMUs stored with compile options (used when the FMU is built from sources). */
  compileOptions?: StoredCompileOptions;
}

const MEMO_LIMIT = 256;
// Keyed by the FMU store, not the context: the faces that serve several callers build a context
// per request (with its CallerAccess) over the same stores, and must share the memo.
const memo = new WeakMap<object, Map<string, { key: string; opened: OpenedFmu }>>();

export function archiveLimits(ctx: Pick<ServiceContext, 'config'>): ArchiveLimits {
  const l = ctx.config.limits;
  return {
    maxUnpackedBytes: l.maxUnpackedBytes,
    maxEntries: l.maxZipEntries,
    maxCompressionRatio: l.maxCompressionRatio,
    maxArchiveBytes: l.maxFmuBytes,
    maxModelDescriptionBytes: l.maxModelDescriptionBytes,
  };
}

/**
 * Opens through the context's strategy (off-thread in servers) with this gateway's limits.
 * `trusted`: the built-in library (small, our own): opened inline, no thread round trip.
 */
export function openWithContext(ctx: ServiceContext, source: FmuSource, sha256?: string, trusted = false): Promise<OpenedFmu> {
  const opts = { cacheDir: ctx.config.cacheDir, limits: archiveLimits(ctx), ...(sha256 === undefined ? {} : { sha256 }) };
  if (ctx.openFmu !== undefined && !trusted) return ctx.openFmu(source, opts);
  return new Promise((resolve) => resolve(openFmu(source, opts)));
}

/**
 * openFmu with a per-context memo; a changed file (size or mtime) is opened again. `sha256` is
 * given for content-addressed uploads, so a server that opened the FMU before answers at once.
 */
export async function openCached(ctx: ServiceContext, path: string, sha256?: string, trusted = false): Promise<OpenedFmu> {
  const st = statSync(path);
  const key = `${st.size}:${st.mtimeMs}`;
  let byPath = memo.get(ctx.fmuStore);
  if (byPath === undefined) {
    byPath = new Map();
    memo.set(ctx.fmuStore, byPath);
  }
  const hit = byPath.get(path);
  if (hit !== undefined && hit.key === key) return hit.opened;
  const opened = await openWithContext(ctx, { path }, sha256, trusted);
  if (byPath.size >= MEMO_LIMIT) byPath.delete(byPath.keys().next().value as string);
  byPath.set(path, { key, opened });
  return opened;
}

/** The FMI version used for a library model: the requested one, else 3.0 when built, else 2.0. */
export function libraryFmiVersion(entry: CatalogEntryLike, requested: '2.0' | '3.0' | undefined, id: string): '2.0' | '3.0' {
  if (requested !== undefined) {
    if (!entry.fmi_versions.includes(requested)) {
      throw new GatewayError(
        'BAD_REQUEST',
        `${id} is not built for FMI ${requested}; it is available as FMI ${entry.fmi_versions.join(', ')}`,
        {
          fmi_version: requested,
          available: [...entry.fmi_versions],
          hint: `Use fmi_version ${entry.fmi_versions.map((v) => `"${v}"`).join(' or ')}, or omit it.`,
        },
      );
    }
    return requested;
  }
  return entry.fmi_versions.includes('3.0') ? '3.0' : (entry.fmi_versions[0] ?? '2.0');
}

function noSuchUpload(fmuId: string): GatewayError {
  return new GatewayError('NOT_FOUND', `No uploaded FMU has id ${fmuId}`, {
    fmu_id: fmuId,
    hint: 'Call upload_fmu with the .fmu file first and use the fmu_id it returns.',
  });
}

/**
 * NOT_FOUND, exactly as for an unknown id, when the request's caller did not upload this FMU
 * (library models are everyone's). resolveFmu calls it; exported for faces that check first.
 */
export async function assertFmuVisible(ctx: ServiceContext, fmuId: string): Promise<void> {
  if (ctx.access === undefined || !UPLOADED_ID_PATTERN.test(fmuId)) return;
  if (!(await ctx.access.canUseUpload(fmuId.slice('sha256:'.length)))) throw noSuchUpload(fmuId);
}

/** fmu_id → the opened FMU; an upload only for the caller that made it (ctx.access). */
export async function resolveFmu(ctx: ServiceContext, fmuId: string, fmiVersion?: '2.0' | '3.0'): Promise<ResolvedFmu> {
  if (LIBRARY_ID_PATTERN.test(fmuId)) {
    const { entry } = ctx.catalog.resolve(fmuId);
    const version = libraryFmiVersion(entry, fmiVersion, fmuId);
    const { fmuPath } = ctx.catalog.resolve(fmuId, version);
    return { fmuId, source: 'library', opened: await openCached(ctx, fmuPath, undefined, true), entry };
  }
  if (UPLOADED_ID_PATTERN.test(fmuId)) {
    const sha = fmuId.slice('sha256:'.length);
    await assertFmuVisible(ctx, fmuId);
    // Shared storage: an FMU uploaded through another node is brought here on first use.
    const path = ctx.fmuStore.pathOf(sha) ?? (await ctx.fmuStore.fetch?.(sha));
    if (path === undefined) throw noSuchUpload(fmuId);
    const opened = await openCached(ctx, path, sha);
    // An uploaded FMU has one version: running it while the caller asked for another would answer
    // a different question than the one asked.
    const own = opened.modelDescription.fmi_version;
    if (fmiVersion !== undefined && fmiVersion !== own) {
      throw new GatewayError(
        'BAD_REQUEST',
        `${fmuId} is an FMI ${own} FMU; fmi_version "${fmiVersion}" chooses between the builds of library models only`,
        {
          fmu_id: fmuId,
          fmi_version: fmiVersion,
          available: [own],
          hint: `Omit fmi_version (or pass "${own}") for this uploaded FMU.`,
        },
      );
    }
    const compileOptions = ctx.fmuStore.compileOptionsOf(sha);
    return compileOptions === undefined ? { fmuId, source: 'uploaded', opened } : { fmuId, source: 'uploaded', opened, compileOptions };
  }
  throw new GatewayError('BAD_REQUEST', `"${fmuId}" is not an FMU id`, {
    fmu_id: fmuId,
    hint: 'Use "msl:<Name>" from list_library or "sha256:<hex>" from upload_fmu.',
  });
}
