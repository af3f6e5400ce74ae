/**
 * Open an .fmu safely: every entry is checked (names, types, sizes, ratios) before a single byte
 * is written, then the archive is extracted into a temporary sibling inside cacheDir and renamed
 * atomically to <cacheDir>/<sha256>/. A tree carrying our completion marker is reused as is.
 * Nothing is ever written outside cacheDir; a refused archive leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { ArchiveLimits, OpenedFmu } from './opened-fmu.ts';
import { DEFAULT_ARCHIVE_LIMITS } from './opened-fmu.ts';
import type { ZipEntry } from './archive-zip.ts';
import { extractEntry, readZipEntries, ZipFormatError } from './archive-zip.ts';
import { parseModelDescription } from './model-description.ts';
import { decodeModelDescription } from './model-description-encoding.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { resolveInside } from './safe-path.ts';
import { checkBuildDescriptionNames } from './source-build-description.ts';
import { escapeForText } from '../text-escape.ts';
import { currentPlatform, listPlatforms, platformCandidates } from './platform.ts';
import { unsupportedWarnings } from './unsupported-features.ts';

export type FmuSource = { path: string } | { bytes: Buffer };

export interface OpenFmuOptions {
  cacheDir: string;
  limits?: Partial<ArchiveLimits>;
}

/** Written last into a finished tree; its presence means "complete, reuse me". Reserved as an entry name. */
export const COMPLETION_MARKER = '.fmu-gateway-unpacked';
/** Ratios are only judged above this size: a tiny, very compressible file is no threat. */
const RATIO_MIN_BYTES = 1024 * 1024;

function invalid(reason: string, message: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('FMU_INVALID', `Invalid FMU: ${message}`, { reason, ...data });
}

export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

interface CheckedEntry {
  entry: ZipEntry;
  /** Safe relative path segments ('.' and empty segments dropped). */
  segments: string[];
  isDir: boolean;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Names longer than this (or with a segment longer than NAME_MAX) cannot be extracted on common
 * file systems anyway; refusing them up front keeps every later per-name step cheap.
 */
const MAX_NAME_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/** Refuse any name that could land outside the root, whatever OS later reads the tree. */
function checkName(e: ZipEntry): string[] {
  const name = e.name;
  const escape = (detail: string): GatewayError =>
    invalid('path_traversal', `entry "${name.replace(/\0/g, '\\0')}" ${detail}; entries must stay inside the archive root`, {
      entry: name,
      detail,
    });
  if (e.rawNameHasNul || name.includes('\0')) throw escape('contains a NUL byte');
  if (name.includes('\\')) throw escape('contains a backslash');
  if (name.startsWith('/')) throw escape('is an absolute path');
  if (/^[A-Za-z]:/.test(name)) throw escape('starts with a drive letter');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw escape('contains a ".." segment');
  if (segments.length === 0) throw escape('has an empty name');
  const tooLong = Buffer.byteLength(name) > MAX_NAME_BYTES || segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
  if (tooLong) {
    throw invalid(
      'name_too_long',
      `entry "${name.slice(0, 80)}…" has a name longer than ${MAX_NAME_BYTES} bytes or a path segment longer than ${MAX_SEGMENT_BYTES} bytes`,
      {
        entry: name.slice(0, MAX_NAME_BYTES),
      },
    );
  }
  return segments;
}

interface CheckedArchive {
  entries: CheckedEntry[];
  /** Names of file entries that appeared again with identical bytes (the repeats were dropped). */
  identicalDuplicates: string[];
}

/**
 * Whether two entries of the same name carry the same bytes. Sizes and CRCs decide most cases
 * without inflating; only when they agree are both inflated (already bounded by the size and
 * ratio checks) and compared byte for byte, because a CRC-32 is easy to forge.
 */
function sameContent(bytes: Buffer, a: ZipEntry, b: ZipEntry): boolean {
  if (a.uncompressedSize !== b.uncompressedSize || a.crc32 !== b.crc32) return false;
  return inflate(bytes, a).equals(inflate(bytes, b));
}

function checkEntries(bytes: Buffer, entries: readonly ZipEntry[], limits: ArchiveLimits): CheckedArchive {
  const out: CheckedEntry[] = [];
  const identicalDuplicates: string[] = [];
  const firstFile = new Map<string, ZipEntry>();
  const files = new Set<string>();
  const dirs = new Set<string>();
  let total = 0;
  for (const e of entries) {
    const segments = checkName(e);
    const mode = (e.externalAttributes >>> 16) & S_IFMT;
    if (mode === S_IFLNK)
      throw invalid('symlink', `entry "${e.name}" is a symbolic link; FMUs may only contain files and directories`, { entry: e.name });
    if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
      throw invalid('special_file', `entry "${e.name}" is a device, socket or pipe, not a file`, { entry: e.name });
    }
    if (e.flags & 0x1) throw invalid('encrypted', `entry "${e.name}" is encrypted; FMUs must not be`, { entry: e.name });
    if (e.method !== 0 && e.method !== 8) {
      throw invalid('unsupported_compression', `entry "${e.name}" uses compression method ${e.method}; repack the FMU with deflate`, {
        entry: e.name,
      });
    }
    const isDir = e.name.endsWith('/') || mode === S_IFDIR || (e.externalAttributes & 0x10) !== 0;
    if (isDir && e.uncompressedSize > 0) throw invalid('corrupt', `directory entry "${e.name}" has content`, { entry: e.name });
    const key = segments.join('/');
    if (key === COMPLETION_MARKER)
      throw invalid('reserved_name', `entry "${e.name}" uses a name reserved by the gateway`, { entry: e.name });
    total += e.uncompressedSize;
    if (total > limits.maxUnpackedBytes) {
      throw invalid('too_large', `the archive declares more than ${limits.maxUnpackedBytes} uncompressed bytes`, {
        limit: 'maxUnpackedBytes',
        max: limits.maxUnpackedBytes,
      });
    }
    if (e.uncompressedSize > RATIO_MIN_BYTES && e.uncompressedSize > e.compressedSize * limits.maxCompressionRatio) {
      throw invalid(
        'compression_ratio',
        `entry "${e.name}" expands ${e.compressedSize} bytes to ${e.uncompressedSize} (more than ${limits.maxCompressionRatio}:1)`,
        {
          entry: e.name,
          max: limits.maxCompressionRatio,
        },
      );
    }
    // Counted and ratio-checked above before a duplicate is inflated for the comparison.
    const earlier = isDir ? undefined : firstFile.get(key);
    if (earlier !== undefined) {
      // Some exporters write a file twice; with identical bytes it is harmless: keep one copy.
      if (sameContent(bytes, earlier, e)) {
        identicalDuplicates.push(key);
        continue;
      }
      throw invalid('duplicate_entry', `entry "${e.name}" appears twice with different contents`, { entry: e.name });
    }
    if (files.has(key) || (!isDir && dirs.has(key)))
      throw invalid('duplicate_entry', `entry "${e.name}" appears twice or is both a file and a directory`, { entry: e.name });
    (isDir ? dirs : files).add(key);
    if (!isDir) firstFile.set(key, e);
    out.push({ entry: e, segments, isDir });
  }
  checkFilesAreNotParents(files, dirs);
  return { entries: out, identicalDuplicates };
}

/**
 * A file name must not also be a directory on the way to another entry ("a" and "a/b").
 * Sorted keys with a binary search instead of a set of every ancestor path: that set costs
 * O(depth²) characters per entry, which hostile deep names turn into minutes of CPU.
 */
function checkFilesAreNotParents(files: ReadonlySet<string>, dirs: ReadonlySet<string>): void {
  const keys = [...files, ...dirs].sort();
  for (const f of files) {
    const prefix = `${f}/`;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    if (keys[lo]?.startsWith(prefix) === true) throw invalid('duplicate_entry', `"${f}" is both a file and a directory`, { entry: f });
  }
}

/**
 * Every entry of a ZIP archive checked as for FMUs (names inside the root, no links or special
 * files, size, count and ratio limits, duplicates): also used for SSP archives (src/systems/ssp.ts).
 * Errors are FMU_INVALID with a `reason`.
 */
export function readCheckedEntries(
  bytes: Buffer,
  limits: ArchiveLimits,
): { entries: { entry: ZipEntry; segments: string[]; isDir: boolean }[] } {
  return readEntries(bytes, limits);
}

/** One checked entry's bytes (FMU_INVALID when the data is damaged). */
export function inflateEntry(bytes: Buffer, e: ZipEntry): Buffer {
  return inflate(bytes, e);
}

function readEntries(bytes: Buffer, limits: ArchiveLimits): CheckedArchive {
  try {
    const { entries, declaredCount } = readZipEntries(bytes, limits.maxEntries);
    if (declaredCount > limits.maxEntries) {
      throw invalid('too_many_entries', `the archive has ${declaredCount} entries, more than the limit of ${limits.maxEntries}`, {
        count: declaredCount,
        max: limits.maxEntries,
      });
    }
    return checkEntries(bytes, entries, limits);
  } catch (e) {
    if (e instanceof ZipFormatError) throw invalid(e.reason, `${e.message}. An FMU must be a ZIP archive`);
    throw e;
  }
}

function inflate(bytes: Buffer, e: ZipEntry): Buffer {
  try {
    return extractEntry(bytes, e);
  } catch (err) {
    if (err instanceof ZipFormatError) throw invalid(err.reason, err.message, { entry: e.name });
    throw err;
  }
}

/** Extract into a fresh temp dir inside cacheDir, mark complete, rename into place. */
function unpack(bytes: Buffer, entries: readonly CheckedEntry[], cacheDir: string, target: string): void {
  const tmp = mkdtempSync(join(cacheDir, `.tmp-${target.slice(-12)}-`));
  try {
    for (const { entry, segments, isDir } of entries) {
      // Names were checked by checkName; the final path is proven under the root all the same.
      const dest = resolveInside(tmp, segments, { what: `entry "${escapeForText(entry.name, 120)}"`, data: { entry: entry.name } });
      if (isDir) {
        mkdirSync(dest, { recursive: true });
        continue;
      }
      mkdirSync(resolve(dest, '..'), { recursive: true });
      // 'wx': never overwrite (catches names that collide on case-insensitive file systems).
      writeFileSync(dest, inflate(bytes, entry), { flag: 'wx', mode: 0o644 });
    }
    writeFileSync(join(tmp, COMPLETION_MARKER), JSON.stringify({ sha256: target, unpacked_at: new Date().toISOString() }));
    try {
      renameSync(tmp, join(cacheDir, target));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      if (existsSync(join(cacheDir, target, COMPLETION_MARKER))) return rmSync(tmp, { recursive: true, force: true }); // a concurrent open won
      rmSync(join(cacheDir, target), { recursive: true, force: true }); // stale, unmarked leftover
      renameSync(tmp, join(cacheDir, target));
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') {
      throw invalid('unextractable', `an entry cannot be written to disk (${code}): ${(err as Error).message}`);
    }
    throw err;
  }
}

function readArchive(source: FmuSource, limits: ArchiveLimits): Buffer {
  let size: number;
  try {
    size = 'bytes' in source ? source.bytes.length : statSync(source.path).size;
  } catch (e) {
    throw new GatewayError('NOT_FOUND', `Cannot read the FMU file ${'path' in source ? source.path : ''}: ${(e as Error).message}`, {
      reason: 'unreadable',
    });
  }
  if (size > limits.maxArchiveBytes) {
    throw invalid('too_large', `the archive is ${size} bytes, more than the limit of ${limits.maxArchiveBytes}`, {
      limit: 'maxArchiveBytes',
      max: limits.maxArchiveBytes,
    });
  }
  return 'bytes' in source ? source.bytes : readFileSync(source.path);
}

/**
 * Parsed model descriptions by archive sha256: an FMU is parsed once per process (thread), not
 * per simulate / get_variables. Bounded by the number of variables held, not only entries.
 */
const parsedBySha = new Map<string, ModelDescription>();
const MAX_CACHED_VARIABLES = 2_000_000;
const MAX_CACHED_FMUS = 128;
let cachedVariables = 0;

function rememberParsed(sha256: string, md: ModelDescription): void {
  if (parsedBySha.has(sha256)) return;
  parsedBySha.set(sha256, md);
  cachedVariables += md.variables.length;
  for (const [oldest, old] of parsedBySha) {
    if (parsedBySha.size <= 1 || (cachedVariables <= MAX_CACHED_VARIABLES && parsedBySha.size <= MAX_CACHED_FMUS)) break;
    parsedBySha.delete(oldest);
    cachedVariables -= old.variables.length;
  }
}

/** Recently used first out: a hit moves the entry to the back of the map. */
function cachedParse(sha256: string): ModelDescription | undefined {
  const md = parsedBySha.get(sha256);
  if (md !== undefined) {
    parsedBySha.delete(sha256);
    parsedBySha.set(sha256, md);
  }
  return md;
}

function tooLargeDescription(size: number, max: number): GatewayError {
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  return new GatewayError(
    'MODEL_DESCRIPTION_INVALID',
    `modelDescription.xml is ${mb(size)} MB; this gateway parses at most ${mb(max)} MB (MAX_MODEL_DESCRIPTION_MB)`,
    { element: 'xml', reason: 'too_large', size_bytes: size, limit_bytes: max },
  );
}

function hostCandidates(version: '2.0' | '3.0'): string[] {
  try {
    return platformCandidates(version, currentPlatform());
  } catch {
    return []; // an exotic host: the FMU is still valid, it just cannot run here
  }
}

export function openFmu(source: FmuSource, opts: OpenFmuOptions): OpenedFmu {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...opts.limits };
  const bytes = readArchive(source, limits);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // Always re-check the directory (cheap, no inflation) so today's limits apply to cached FMUs too.
  const { entries, identicalDuplicates } = readEntries(bytes, limits);
  const mdEntry = entries.find((c) => !c.isDir && c.segments.length === 1 && c.segments[0] === 'modelDescription.xml');
  if (!mdEntry) throw invalid('missing_model_description', 'there is no modelDescription.xml at the root of the archive', {});
  const cacheDir = resolve(opts.cacheDir);
  const unpackedDir = join(cacheDir, sha256);
  let modelDescription = cachedParse(sha256);
  if (modelDescription === undefined) {
    // Size first, from the central directory: a huge description is refused before it is inflated.
    if (mdEntry.entry.uncompressedSize > limits.maxModelDescriptionBytes) {
      throw tooLargeDescription(mdEntry.entry.uncompressedSize, limits.maxModelDescriptionBytes);
    }
    // Parsed before anything is written: a bad model description leaves no trace in the cache.
    modelDescription = parseModelDescription(decodeModelDescription(inflate(bytes, mdEntry.entry)));
    const buildDescription = entries.find((c) => !c.isDir && c.segments.join('/') === 'sources/buildDescription.xml');
    if (modelDescription.fmi_version === '3.0' && buildDescription !== undefined) {
      checkBuildDescriptionNames(inflate(bytes, buildDescription.entry).toString('utf8'));
    }
    rememberParsed(sha256, modelDescription);
  }
  if (!existsSync(join(unpackedDir, COMPLETION_MARKER))) {
    mkdirSync(cacheDir, { recursive: true });
    unpack(bytes, entries, cacheDir, sha256);
  }
  const platforms = listPlatforms(unpackedDir, modelDescription.fmi_version);
  const hasSources = entries.some((c) => c.segments[0] === 'sources' && !c.isDir);
  const warnings: string[] = identicalDuplicates.map(
    (name) => `The archive contains "${name}" more than once (with identical bytes); one copy was used.`,
  );
  warnings.push(...unsupportedWarnings(modelDescription));
  const here = hostCandidates(modelDescription.fmi_version);
  if (here.length === 0) {
    warnings.push(`FMUs cannot run natively on ${process.platform}/${process.arch}.`);
  } else if (!platforms.some((p) => here.includes(p))) {
    warnings.push(
      hasSources
        ? `No binary for this platform (${here.join(' or ')}); it will be compiled from sources/ on first use.`
        : `No binary for this platform (${here.join(' or ')}) and no sources/: it cannot run on this machine.`,
    );
  }
  const opened: OpenedFmu = { sha256, unpackedDir, modelDescription, platforms, hasSources, warnings };
  if ('path' in source) opened.archivePath = resolve(source.path);
  return opened;
}
