/**
 * Contract of an FMU after src/fmi/archive.ts has validated and unpacked it.
 */
import type { ModelDescription } from '../schemas/model-description.ts';

export interface ArchiveLimits {
  /** Total uncompressed bytes of all entries (declared sizes, checked before extraction). */
  maxUnpackedBytes: number;
  maxEntries: number;
  /** Largest allowed uncompressed/compressed ratio of any entry with a non-trivial size. */
  maxCompressionRatio: number;
  /** Largest .fmu file accepted. */
  maxArchiveBytes: number;
  /** Largest modelDescription.xml (declared size, checked before it is inflated or parsed). */
  maxModelDescriptionBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxEntries: 10_000,
  maxCompressionRatio: 200,
  maxArchiveBytes: 200 * 1024 * 1024,
  maxModelDescriptionBytes: 16 * 1024 * 1024,
};

export interface OpenedFmu {
  /** sha256 of the .fmu bytes (hex); the cache key. */
  sha256: string;
  /** Where the .fmu came from (may be absent when opened from bytes). */
  archivePath?: string;
  /** <cacheDir>/<sha256>/ — the unpacked, validated tree (read-only by convention). */
  unpackedDir: string;
  modelDescription: ModelDescription;
  /** Platform folders found under binaries/ (e.g. ['linux64'] or ['x86_64-linux', 'x86_64-windows']). */
  platforms: string[];
  /** True when the archive carries sources/ (compilable on demand). */
  hasSources: boolean;
  warnings: string[];
}
