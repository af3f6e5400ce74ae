// Plain JavaScript (the launcher runs it before anything else): runs a CommonJS-shaped bundle
// through vm.Script with a V8 code cache, so a command's second and later starts skip parsing and
// compiling the JavaScript they ran before. Node 20 has no module.enableCompileCache (22.1+) and
// no code cache for ES modules; `npm run build` therefore also bundles the hot one-shot commands
// as CommonJS scripts (tools/build-cli.ts, build/cli/cached/<command>.cjs), which this runs.
//
// The cache file lives in a writable cache folder (never beside the bundle: the install folder
// may be read-only, and `npm pack` would ship it), one per bundle content hash, node version and
// architecture. V8 refuses a cache of another V8 version or flags (cachedDataRejected), but in a
// release build it does not checksum the payload nor compare the source text (only its length):
// so the file carries our own header (magic, payload length, CRC-32, the bundle hash) and
// anything that does not match is ignored and rewritten. Every failure here means "no cache".
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';

const MAGIC = 'FGCC0001';
/** MAGIC, payload length (u32), CRC-32 of the payload (u32), the bundle's hash (32 ASCII chars). */
const HEADER_BYTES = 8 + 4 + 4 + 32;

/**
 * Where code caches go: FMU_GATEWAY_CODE_CACHE_DIR, else <FMU_GATEWAY_CACHE_DIR>/v8, else the
 * user's cache folder ($XDG_CACHE_HOME or ~/.cache)/fmu-gateway/v8. Undefined: no cache (no home).
 * (FMU_GATEWAY_CODE_CACHE=0 is the launcher's: it then runs the plain ES module bundle.)
 */
export function codeCacheDir(env = process.env) {
  if (env.FMU_GATEWAY_CODE_CACHE_DIR) return env.FMU_GATEWAY_CODE_CACHE_DIR;
  if (env.FMU_GATEWAY_CACHE_DIR) return join(env.FMU_GATEWAY_CACHE_DIR, 'v8');
  let base = env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = join(homedir(), '.cache');
    } catch {
      return undefined;
    }
  }
  return join(base, 'fmu-gateway', 'v8');
}

/**
 * What the launcher puts around the bundle's text: part of the compiled script, so part of the
 * cache's identity too (V8 would take a cache made with another wrapper of the same length).
 */
const WRAPPER_HEAD =
  '(function (exports, require, module, __filename, __dirname, __fmuImportMetaUrl, __fmuImportMetaResolve, __fmuImport) {\n';
const WRAPPER_ID = crc32(WRAPPER_HEAD).toString(16).padStart(8, '0');

/** The cache file of one bundle (name + content hash) under this node and this launcher's wrapper. */
export function codeCacheFile(dir, name, hash) {
  return join(dir, `${name}-${hash}-${WRAPPER_ID}-${process.version}-${process.arch}.bin`);
}

/** The payload of a valid cache file, or undefined (missing, truncated, corrupt, another bundle's). */
export function readCodeCache(file, hash) {
  let buf;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
  const length = buf.readUInt32LE(8);
  if (length !== buf.length - HEADER_BYTES || buf.toString('latin1', 16, 48) !== hash.padEnd(32).slice(0, 32)) return undefined;
  const payload = buf.subarray(HEADER_BYTES);
  return crc32(payload) === buf.readUInt32LE(12) ? payload : undefined;
}

/** Writes a cache file atomically (a concurrent reader sees the old file or the whole new one); failures are ignored. */
export function writeCodeCache(file, hash, payload) {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(payload.length, 8);
  header.writeUInt32LE(crc32(payload), 12);
  header.write(hash.padEnd(32).slice(0, 32), 16, 'latin1');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, Buffer.concat([header, payload]));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
    return;
  }
  pruneOldCaches(file);
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Caches of earlier builds (another hash or node) are left behind by upgrades and rebuilds: once
 * a new one is written, those of the same command written more than a day ago go. (Another
 * installation sharing the folder that still uses one just makes it again, once.)
 */
function pruneOldCaches(file) {
  const dir = dirname(file);
  const name = file.slice(dir.length + 1);
  const prefix = name.slice(0, name.indexOf('-') + 1);
  try {
    for (const f of readdirSync(dir)) {
      if (f === name || !f.startsWith(prefix) || !f.endsWith('.bin')) continue;
      const p = join(dir, f);
      if (Date.now() - statSync(p).mtimeMs > DAY_MS) rmSync(p, { force: true });
    }
  } catch {
    // another process pruned first, or the folder went away
  }
}

/**
 * Runs `file`, a CommonJS-shaped bundle (esbuild format 'cjs' with import.meta.url and
 * import.meta.resolve defined as __fmuImportMetaUrl / __fmuImportMetaResolve), like Node would run
 * it as a module, with the code cache `name`/`hash` from `cacheDir` (undefined: none). When the
 * cache was missing or refused, a new one is made as the process exits: made then, it holds the
 * functions the run compiled, not only the top level. Returns how the cache was used.
 */
export function runWithCodeCache(file, { name, hash, cacheDir }) {
  // Pure ASCII (tools/build-cli.ts checks): latin1 gives the same text without UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  const cacheFile = cacheDir === undefined ? undefined : codeCacheFile(cacheDir, name, hash);
  const cachedData = cacheFile === undefined ? undefined : readCodeCache(cacheFile, hash);
  const wrapper = `${WRAPPER_HEAD}${source}\n})`;
  // lineOffset: the bundle's own line numbers in stack traces (the wrapper takes a line of its own).
  const script = new vm.Script(wrapper, { filename: file, lineOffset: -1, ...(cachedData === undefined ? {} : { cachedData }) });
  const used = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used';
  // The same line src/startup-trace.ts writes (bench/startup.ts puts it in the phase table).
  if (process.env.FMU_GATEWAY_TRACE_STARTUP === '1') {
    process.stderr.write(`fmu-gateway startup: ${performance.now().toFixed(1)} code cache ${used} (${name})\n`);
  }
  if (cacheFile !== undefined && used !== 'used') {
    process.once('exit', () => {
      try {
        writeCodeCache(cacheFile, hash, script.createCachedData());
      } catch {
        // no cache this time
      }
    });
  }
  const require = createRequire(file);
  const url = pathToFileURL(file).href;
  // import.meta.resolve of an ES module, approximated by require.resolve (the bundle resolves only installed packages with it).
  const resolve = (specifier) => pathToFileURL(require.resolve(specifier)).href;
  const module = { exports: {} };
  // The script's import() of external packages (tools/build-cli.ts renames them): ours, resolved
  // from this package like the bundle's own would be (bin/ and build/cli/ share node_modules).
  const dynamicImport = (specifier) => import(specifier);
  script.runInThisContext()(module.exports, require, module, file, dirname(file), url, resolve, dynamicImport);
  return used;
}
