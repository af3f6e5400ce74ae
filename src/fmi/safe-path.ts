/**
 * The one place where a string that came from an FMU (modelDescription.xml, buildDescription.xml,
 * a zip entry name, a model identifier) becomes part of a host path. Two steps, both always:
 *   1. the string is checked for its kind before any join (a C identifier for model identifiers,
 *      a plain relative path for file names): `checkModelIdentifier`, `relativePathProblem`;
 *   2. the final path is resolved and re-checked under its root, lexically and through realpath
 *      (a symlink somewhere on the way cannot lead out): `resolveInside`.
 * Step 2 is the backstop if step 1 ever misses a case; it never relies on step 1.
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ErrorCode } from '../errors.ts';
import { GatewayError } from '../errors.ts';

/** FMI 2 §2.2.1 / FMI 3 §2.4.1: modelIdentifier is the prefix of C function names and the library's file name. */
export const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Leaves room for the extension and ".tmp" suffixes within NAME_MAX (255). */
export const MAX_MODEL_IDENTIFIER_LENGTH = 200;
const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `id` cannot be a model identifier, or undefined when it is a C identifier of sane length. */
export function modelIdentifierProblem(id: string): string | undefined {
  if (id.length > MAX_MODEL_IDENTIFIER_LENGTH) return `is longer than ${MAX_MODEL_IDENTIFIER_LENGTH} characters`;
  if (!C_IDENTIFIER.test(id)) return 'is not a C identifier (letters, digits and "_", not starting with a digit)';
  return undefined;
}

/**
 * Why `name` is not a plain relative path (relative to a root such as sources/), or undefined.
 * Refuses what could leave the root on any OS that later reads the tree: "..", absolute paths,
 * drive letters, backslashes, NUL and other control characters.
 */
export function relativePathProblem(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name.includes('\0')) return 'contains a NUL byte';
  if (CONTROL.test(name)) return 'contains a control character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || isAbsolute(name)) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return 'contains a ".." segment';
  if (segments.length === 0) return 'names no file';
  if (Buffer.byteLength(name) > MAX_PATH_BYTES || segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    return `is longer than ${MAX_PATH_BYTES} bytes or has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

/** What to throw when a final path is not under its root: the caller's code and context. */
export interface PathOrigin {
  /** Default FMU_INVALID. */
  code?: ErrorCode;
  /** Human name of the thing, e.g. 'source file "a.c"'. */
  what: string;
  data?: Record<string, unknown>;
}

function isUnder(root: string, full: string): boolean {
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** lstat-based: a dangling symlink exists (existsSync would follow it and say no). */
function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** realpath of the deepest existing ancestor, with the missing tail appended (a path about to be created). */
function realpathOfExistingPart(p: string): string {
  let cur = p;
  while (!present(cur)) {
    const parent = dirname(cur);
    if (parent === cur) return p;
    cur = parent;
  }
  return resolve(realpathSync(cur), relative(cur, p));
}

/**
 * `root` joined with `parts` (each a relative path or a single segment), resolved, and proven to
 * be under `root` both as written and after following symlinks. Returns the resolved path (not
 * the realpath, so callers keep the paths they expect); throws `origin.code` otherwise.
 * `parts` may contain FMU-controlled strings: they are never trusted, only checked here.
 */
export function resolveInside(root: string, parts: string | readonly string[], origin: PathOrigin): string {
  const list = typeof parts === 'string' ? [parts] : parts;
  const base = resolve(root);
  const escape = (detail: string): GatewayError =>
    new GatewayError(origin.code ?? 'FMU_INVALID', `${origin.what} ${detail}; refusing to use it`, {
      reason: 'path_escape',
      ...origin.data,
    });
  for (const p of list) {
    if (p.includes('\0')) throw escape('contains a NUL byte');
    if (isAbsolute(p)) throw escape('is an absolute path');
  }
  const full = resolve(base, ...list);
  if (!isUnder(base, full)) throw escape(`resolves outside ${base}`);
  if (existsSync(base)) {
    const realBase = realpathSync(base);
    let real: string;
    try {
      real = realpathOfExistingPart(full);
    } catch {
      throw escape('cannot be resolved (a dangling or looping symbolic link)');
    }
    if (!isUnder(realBase, real)) throw escape(`leads outside ${base} through a symbolic link`);
  }
  return full;
}
