/**
 * A strict, read-only ZIP reader for FMUs. We parse the central directory ourselves rather than
 * trusting adm-zip, which normalizes hostile names, writes symlinks as files and has no size caps:
 * here every field that matters for safety (raw name, Unix mode, declared sizes, offsets) is
 * exposed as written in the archive, and inflation is capped at the declared size.
 * No I/O: the whole archive is a Buffer (archives are bounded by maxArchiveBytes first).
 */
import { crc32, inflateRawSync } from 'node:zlib';

/** Why a buffer is not a readable ZIP archive. */
export type ZipFormatReason = 'not_zip' | 'truncated' | 'corrupt' | 'unsupported' | 'size_mismatch' | 'crc_mismatch';

export class ZipFormatError extends Error {
  readonly reason: ZipFormatReason;
  constructor(reason: ZipFormatReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface ZipEntry {
  /** Name as stored in the central directory (decoded UTF-8 or Latin-1), unnormalized. */
  name: string;
  /** Raw name bytes contained a NUL or the name could not be decoded faithfully. */
  rawNameHasNul: boolean;
  flags: number;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Upper 16 bits: Unix mode (when written by a Unix tool); low byte: MS-DOS attributes. */
  externalAttributes: number;
  madeBy: number;
  localHeaderOffset: number;
  /** Offset of the entry's data, resolved from its local header. */
  dataOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('corrupt', 'a ZIP64 size or offset is out of range');
  return Number(v);
}

function findEocd(buf: Buffer): number {
  // The EOCD record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const lowest = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= lowest; i--) {
    if (buf.readUInt32LE(i) === SIG_EOCD && i + 22 + buf.readUInt16LE(i + 20) === buf.length) return i;
  }
  // A file that starts like a ZIP but lost its tail was truncated; anything else is not a ZIP.
  if (buf.length >= 4 && buf.readUInt32LE(0) === SIG_LOCAL) {
    throw new ZipFormatError('truncated', 'the archive is truncated: its end-of-central-directory record is missing');
  }
  throw new ZipFormatError('not_zip', 'the file is not a ZIP archive (no end-of-central-directory record)');
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

function readDirectoryLocation(buf: Buffer, eocd: number): Directory {
  if (buf.readUInt16LE(eocd + 4) !== 0 || buf.readUInt16LE(eocd + 6) !== 0) {
    throw new ZipFormatError('unsupported', 'multi-disk (split) ZIP archives are not supported');
  }
  let count = buf.readUInt16LE(eocd + 10);
  let size = buf.readUInt32LE(eocd + 12);
  let offset = buf.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if ((count === 0xffff || size === U32_MAX || offset === U32_MAX) && locator >= 0 && buf.readUInt32LE(locator) === SIG_ZIP64_LOCATOR) {
    const at = u64(buf, locator + 8);
    if (at + 56 > locator || buf.readUInt32LE(at) !== SIG_ZIP64_EOCD) {
      throw new ZipFormatError('corrupt', 'the ZIP64 end-of-central-directory record is missing or misplaced');
    }
    count = u64(buf, at + 32);
    size = u64(buf, at + 40);
    offset = u64(buf, at + 48);
  }
  if (offset + size > eocd) {
    throw new ZipFormatError('truncated', 'the central directory lies outside the archive (truncated or corrupt file)');
  }
  return { count, offset, size };
}

/** Replace 0xFFFFFFFF fields by their values from the ZIP64 extra field (id 0x0001). */
function applyZip64Extra(buf: Buffer, start: number, end: number, e: ZipEntry): void {
  if (e.uncompressedSize !== U32_MAX && e.compressedSize !== U32_MAX && e.localHeaderOffset !== U32_MAX) return;
  for (let at = start; at + 4 <= end;) {
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const limit = Math.min(end, p + len);
      const take = (): number => {
        if (p + 8 > limit) throw new ZipFormatError('corrupt', `entry "${e.name}": ZIP64 extra field is too short`);
        const v = u64(buf, p);
        p += 8;
        return v;
      };
      if (e.uncompressedSize === U32_MAX) e.uncompressedSize = take();
      if (e.compressedSize === U32_MAX) e.compressedSize = take();
      if (e.localHeaderOffset === U32_MAX) e.localHeaderOffset = take();
      return;
    }
    at += 4 + len;
  }
  throw new ZipFormatError('corrupt', `entry "${e.name}": sizes are marked ZIP64 but no ZIP64 extra field is present`);
}

/**
 * Parse the central directory and each entry's local header. Checks structure only
 * (bounds, signatures, overlaps); policy (names, sizes, types) belongs to the caller.
 * `maxEntries` is enforced while reading so a hostile count cannot make us loop for long.
 */
export function readZipEntries(buf: Buffer, maxEntries: number): { entries: ZipEntry[]; declaredCount: number } {
  const eocd = findEocd(buf);
  const dir = readDirectoryLocation(buf, eocd);
  if (dir.count > maxEntries) return { entries: [], declaredCount: dir.count };
  const entries: ZipEntry[] = [];
  const rawNames: Buffer[] = [];
  const dirEnd = dir.offset + dir.size;
  let at = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (at + 46 > dirEnd || buf.readUInt32LE(at) !== SIG_CENTRAL) {
      throw new ZipFormatError('corrupt', `central directory entry ${i + 1} of ${dir.count} is damaged`);
    }
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const next = at + 46 + nameLen + extraLen + commentLen;
    if (next > dirEnd) throw new ZipFormatError('corrupt', `central directory entry ${i + 1} runs past the directory`);
    const flags = buf.readUInt16LE(at + 8);
    const rawName = buf.subarray(at + 46, at + 46 + nameLen);
    const entry: ZipEntry = {
      // Bit 11 says UTF-8; otherwise CP437, which equals Latin-1 for the ASCII names FMUs use.
      name: rawName.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      rawNameHasNul: rawName.includes(0),
      flags,
      method: buf.readUInt16LE(at + 10),
      crc32: buf.readUInt32LE(at + 16),
      compressedSize: buf.readUInt32LE(at + 20),
      uncompressedSize: buf.readUInt32LE(at + 24),
      externalAttributes: buf.readUInt32LE(at + 38),
      madeBy: buf.readUInt16LE(at + 4),
      localHeaderOffset: buf.readUInt32LE(at + 42),
      dataOffset: 0,
    };
    applyZip64Extra(buf, at + 46 + nameLen, at + 46 + nameLen + extraLen, entry);
    entries.push(entry);
    rawNames.push(rawName);
    at = next;
  }
  entries.forEach((e, i) => locateData(buf, e, dir.offset, rawNames[i] as Buffer));
  checkNoOverlap(entries);
  return { entries, declaredCount: dir.count };
}

function locateData(buf: Buffer, e: ZipEntry, dirOffset: number, rawName: Buffer): void {
  const lh = e.localHeaderOffset;
  if (lh + 30 > dirOffset || buf.readUInt32LE(lh) !== SIG_LOCAL) {
    throw new ZipFormatError('corrupt', `entry "${e.name}": local header missing at offset ${lh}`);
  }
  const nameLen = buf.readUInt16LE(lh + 26);
  // Tools that stream an archive read names from the local headers, we from the central
  // directory: a mismatch would let the FMU be one thing to us and another to them.
  if (lh + 30 + nameLen > dirOffset || !buf.subarray(lh + 30, lh + 30 + nameLen).equals(rawName)) {
    throw new ZipFormatError('corrupt', `entry "${e.name}": its local header names a different file than the central directory`);
  }
  e.dataOffset = lh + 30 + nameLen + buf.readUInt16LE(lh + 28);
  if (e.dataOffset + e.compressedSize > dirOffset) {
    throw new ZipFormatError('truncated', `entry "${e.name}": its data runs past the end of the archive data`);
  }
}

/** Overlapping entries are the trick behind non-recursive zip bombs; a normal archive never has them. */
function checkNoOverlap(entries: readonly ZipEntry[]): void {
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && prev.dataOffset + prev.compressedSize > cur.localHeaderOffset) {
      throw new ZipFormatError('corrupt', `entries "${prev.name}" and "${cur.name}" overlap in the archive`);
    }
  }
}

/**
 * Decompress one entry, never producing more than its declared size (+1 byte to detect a lie),
 * and verify size and CRC-32. Throws ZipFormatError('corrupt') on any mismatch.
 */
export function extractEntry(buf: Buffer, e: ZipEntry): Buffer {
  const raw = buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  let out: Buffer;
  if (e.method === 0) {
    out = raw;
  } else if (e.method === 8) {
    try {
      out = inflateRawSync(raw, { maxOutputLength: e.uncompressedSize + 1 });
    } catch (err) {
      const tooBig = err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw new ZipFormatError(
        tooBig ? 'size_mismatch' : 'corrupt',
        tooBig
          ? `entry "${e.name}" inflates to more than its declared ${e.uncompressedSize} bytes`
          : `entry "${e.name}" has damaged compressed data (${(err as Error).message})`,
      );
    }
  } else {
    throw new ZipFormatError(
      'unsupported',
      `entry "${e.name}" uses compression method ${e.method}; only stored (0) and deflate (8) are supported`,
    );
  }
  if (out.length !== e.uncompressedSize) {
    throw new ZipFormatError('size_mismatch', `entry "${e.name}" holds ${out.length} bytes but declares ${e.uncompressedSize}`);
  }
  if (crc32(out) >>> 0 !== e.crc32) throw new ZipFormatError('crc_mismatch', `entry "${e.name}" fails its CRC-32 check`);
  return out;
}
