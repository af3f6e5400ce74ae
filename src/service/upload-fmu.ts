/**
 * Use case upload_fmu: validate an FMU (B's openFmu: zip safety, model description, platforms),
 * then store it once by content. Nothing is stored unless it validates.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import { checkCompileOptions, hasCompileOptions } from '../fmi/source-build-options.ts';
import type { UploadFmuInput, UploadFmuSuccess } from '../schemas/upload.ts';
import type { StoredFmu } from '../store/fmu-file-store.ts';
import type { ServiceContext } from './context.ts';
import { openWithContext } from './fmu-resolver.ts';
import { interfacesOf } from './get-variables.ts';

export interface UploadOptions {
  /**
   * Accept `path` (a file on the gateway machine). Only a local face (stdio MCP, CLI) may allow
   * this: over HTTP it would let a caller read any file the server can.
   */
  allowPath?: boolean;
}

function tooLarge(size: number, max: number): GatewayError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return new GatewayError('BAD_REQUEST', `The FMU is ${mb(size)} MB; this gateway accepts at most ${mb(max)} MB (MAX_FMU_MB)`, {
    size_bytes: size,
    limit_bytes: max,
    hint: 'Upload a smaller FMU (e.g. without unused platform binaries), or raise MAX_FMU_MB on a gateway you run.',
  });
}

export function readUpload(ctx: ServiceContext, input: UploadFmuInput, opts: UploadOptions): Buffer {
  const max = ctx.config.limits.maxFmuBytes;
  if (input.path !== undefined) {
    if (opts.allowPath !== true) {
      throw new GatewayError('BAD_REQUEST', 'Uploading by path is only possible on a local gateway', {
        hint: 'Send the file bytes as content_base64 instead of path.',
      });
    }
    if (!isAbsolute(input.path)) {
      throw new GatewayError('BAD_REQUEST', `path must be absolute, got "${input.path}"`, {
        hint: 'Pass the absolute path of the .fmu file.',
      });
    }
    let size: number;
    try {
      const st = statSync(input.path);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      throw new GatewayError('NOT_FOUND', `No readable file at ${input.path}`, {
        path: input.path,
        hint: 'Check the path of the .fmu file.',
      });
    }
    if (size > max) throw tooLarge(size, max);
    return readFileSync(input.path);
  }
  const raw = input.content_base64 ?? '';
  // Line-wrapped base64 is fine; the regex pass only runs when there is whitespace to remove
  // (indexOf is a memchr, the regex ~10x slower: this runs on the event loop for every upload).
  const hasSpace = raw.indexOf('\n') >= 0 || raw.indexOf('\r') >= 0 || raw.indexOf(' ') >= 0 || raw.indexOf('\t') >= 0;
  const text = hasSpace ? raw.replace(/\s+/g, '') : raw;
  // Decoded size is known from the text length: refuse before allocating anything big.
  const decodedSize = Math.floor((text.length * 3) / 4);
  if (decodedSize > max + 2) throw tooLarge(decodedSize, max);
  const notBase64 = (): GatewayError =>
    new GatewayError('BAD_REQUEST', 'content_base64 is not valid base64', {
      hint: 'Encode the .fmu bytes with standard base64 (A-Z, a-z, 0-9, +, /, = padding).',
    });
  if (text.length % 4 !== 0) throw notBase64();
  // Node's decoder skips characters outside the alphabet and stops at an inner "=": either way
  // fewer bytes come out than the length promises, which is the validity check (no regex pass).
  const bytes = Buffer.from(text, 'base64');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (bytes.length !== (text.length / 4) * 3 - padding) throw notBase64();
  return bytes;
}

export async function uploadFmu(ctx: ServiceContext, input: UploadFmuInput, opts: UploadOptions = {}): Promise<UploadFmuSuccess> {
  const bytes = readUpload(ctx, input, opts);
  // Validated (and parsed, off the event loop in a server) before anything is stored.
  const opened = await openWithContext(ctx, { bytes });
  // Compile options are checked against the unpacked sources before anything is stored.
  const compileOptions = hasCompileOptions(input.compile_options) ? checkCompileOptions(opened, input.compile_options) : undefined;
  return storeUpload(ctx, opened, () => ctx.fmuStore.put(bytes, compileOptions), bytes.byteLength);
}

/**
 * upload_fmu for a file the face has already received (REST multipart streams it to
 * fmuStore.tempPath() under MAX_FMU_MB): validated, then moved into the store. The temporary file
 * is gone afterwards either way.
 */
export async function uploadFmuFromFile(ctx: ServiceContext, tmpPath: string): Promise<UploadFmuSuccess> {
  try {
    const opened = await openWithContext(ctx, { path: tmpPath });
    return await storeUpload(ctx, opened, () => ctx.fmuStore.adopt(tmpPath, opened.sha256), statSync(tmpPath).size);
  } finally {
    rmSync(tmpPath, { force: true });
  }
}

/**
 * Stores a validated FMU and answers for it: the caller's quota first, then the bytes, then the
 * caller's ownership (awaited: the answer's fmu_id must work for the next request).
 * REST uploads stream to a file and come in here with `put` moving that file into the store.
 */
export async function storeUpload(
  ctx: ServiceContext,
  opened: OpenedFmu,
  put: () => StoredFmu,
  sizeBytes: number,
): Promise<UploadFmuSuccess> {
  const md = opened.modelDescription;
  if (ctx.access !== undefined && !(await ctx.access.canUseUpload(opened.sha256))) await ctx.access.checkQuota(sizeBytes);
  const stored = put();
  await ctx.fmuStore.publish?.(stored.sha256); // shared storage: readable by every node before the answer
  await ctx.access?.onUploaded({
    sha256: stored.sha256,
    size_bytes: stored.sizeBytes,
    model_name: md.model_name,
    fmi_version: md.fmi_version,
  });
  const count = (c: string) => md.variables.filter((v) => v.causality === c).length;
  ctx.logger.info('fmu uploaded', {
    sha256: stored.sha256,
    model: md.model_name,
    bytes: stored.sizeBytes,
    already_stored: stored.alreadyStored,
  });
  const out: UploadFmuSuccess = {
    status: 'ok',
    fmu_id: `sha256:${stored.sha256}`,
    already_stored: stored.alreadyStored,
    size_bytes: stored.sizeBytes,
    model_name: md.model_name,
    fmi_version: md.fmi_version,
    guid: md.guid,
    interfaces: interfacesOf(md),
    platforms: opened.platforms,
    has_sources: opened.hasSources,
    default_experiment: { ...md.default_experiment },
    counts: {
      inputs: count('input'),
      outputs: count('output'),
      parameters: count('parameter'),
      states: md.number_of_continuous_states,
      event_indicators: md.number_of_event_indicators,
      variables: md.variables.length,
    },
    warnings: opened.warnings,
  };
  const compileOptions = ctx.fmuStore.compileOptionsOf(stored.sha256);
  if (compileOptions !== undefined) out.compile_options = compileOptions;
  if (md.description !== undefined) out.description = md.description;
  if (md.generation_tool !== undefined) out.generation_tool = md.generation_tool;
  return out;
}
