/**
 * Test FMUs compiled from C by the test setup, through tools/fmu-builder.ts, cached under
 * build/fixtures/<hash>/ where the hash covers every input (fixture sources, library
 * headers and adapters, the builder, the options). Safe under parallel test files: each
 * build goes to a private temp dir and is renamed into place atomically.
 *
 *   buildFixture('lag', '2.0')                         test/fixtures/lag via the library adapters
 *   buildFixture('raw-fmi2', '2.0', { raw: true })     a hand-written FMI binary (no adapters)
 *   buildFixture('state-space', '3.0', { handWritten: true })  its own modelDescription.xml + FMI C
 *   buildLibraryModel('Dahlquist', '3.0')              library/models/Dahlquist
 *   openFixture(path)                                  unpacked + parsed (src/fmi/archive.ts)
 */
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openFmu } from '../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { buildFmu, hostPlatformDir } from '../../tools/fmu-builder.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, 'build', 'fixtures');

export interface FixtureOptions {
  /** Extra C compiler flags (e.g. ['-DOMIT_DO_STEP']). */
  cflags?: string[];
  /** Rewrites modelDescription.xml after generation (e.g. a wrong GUID). Its source text is part of the cache key. */
  mutateXml?: (xml: string) => string;
  /** model.c implements the FMI API itself: compile it alone and hand the binary to the builder. */
  raw?: boolean;
  /**
   * The fixture folder holds its own modelDescription.xml beside a model.c implementing the FMI
   * API (what the builder cannot generate, e.g. FMI 3 arrays): compile model.c and zip the two.
   */
  handWritten?: boolean;
}

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) hashTree(hash, join(path, entry));
    return;
  }
  hash.update(path.slice(ROOT.length)).update(readFileSync(path));
}

function cacheKey(modelDir: string, fmiVersion: string, opts: FixtureOptions): string {
  const hash = createHash('sha256');
  hashTree(hash, modelDir);
  for (const p of ['library/include', 'library/adapters', 'tools/fmu-builder.ts', 'tools/fmu-builder']) hashTree(hash, join(ROOT, p));
  hash.update(
    JSON.stringify({
      fmiVersion,
      cflags: opts.cflags ?? [],
      raw: !!opts.raw,
      handWritten: !!opts.handWritten,
      mutate: opts.mutateXml?.toString() ?? '',
    }),
  );
  return hash.digest('hex').slice(0, 16);
}

const pending = new Map<string, Promise<string>>();

async function build(modelDir: string, name: string, fmiVersion: '2.0' | '3.0', opts: FixtureOptions): Promise<string> {
  const key = cacheKey(modelDir, fmiVersion, opts);
  const outFile = join(CACHE, key, `${name}-fmi${fmiVersion[0]}.fmu`);
  if (existsSync(outFile)) return outFile;
  const inFlight = pending.get(outFile);
  if (inFlight) return inFlight;
  const job = (async () => {
    mkdirSync(CACHE, { recursive: true });
    const tmp = mkdtempSync(join(CACHE, `.tmp-${key}-`));
    try {
      const tmpFmu = join(tmp, `${name.replace(/[/\\]/g, '_')}.fmu`);
      if (opts.handWritten) {
        const xml = readFileSync(join(modelDir, 'modelDescription.xml'));
        const id = /modelIdentifier="([A-Za-z_][A-Za-z0-9_]*)"/.exec(xml.toString('utf8'))?.[1];
        if (id === undefined) throw new Error(`${modelDir}/modelDescription.xml names no modelIdentifier`);
        const zip = new AdmZip();
        zip.addFile('modelDescription.xml', xml);
        const so = compileRaw(modelDir, tmp, opts.cflags ?? []);
        zip.addFile(`binaries/${hostPlatformDir(fmiVersion)}/${id}${process.platform === 'darwin' ? '.dylib' : '.so'}`, readFileSync(so));
        zip.writeZip(tmpFmu);
        mkdirSync(dirname(outFile), { recursive: true });
        renameSync(tmpFmu, outFile);
        return outFile;
      }
      const args: Parameters<typeof buildFmu>[0] = { modelDir, fmiVersion, outFile: tmpFmu };
      if (opts.cflags) args.cflags = opts.cflags;
      if (opts.mutateXml) args.mutateXml = opts.mutateXml;
      if (opts.raw) args.binary = false;
      const { modelIdentifier } = await buildFmu(args);
      if (opts.raw) {
        // The builder compiles only adapter-based models: add our own binary to its archive.
        const zip = new AdmZip(tmpFmu);
        const so = compileRaw(modelDir, tmp, opts.cflags ?? []);
        const dir = hostPlatformDir(fmiVersion);
        zip.addFile(`binaries/${dir}/${modelIdentifier}${process.platform === 'darwin' ? '.dylib' : '.so'}`, readFileSync(so));
        zip.writeZip(tmpFmu);
      }
      mkdirSync(dirname(outFile), { recursive: true });
      // Atomic publish: a concurrent test file either sees no file or the complete one.
      renameSync(tmpFmu, outFile);
      return outFile;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      pending.delete(outFile);
    }
  })();
  pending.set(outFile, job);
  return job;
}

/** Compiles a raw fixture's model.c on its own into a shared library. */
function compileRaw(modelDir: string, outDir: string, cflags: string[]): string {
  const so = join(outDir, `raw${process.platform === 'darwin' ? '.dylib' : '.so'}`);
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-fvisibility=hidden', ...cflags, '-o', so, join(modelDir, 'model.c'), '-lm'], {
    stdio: 'pipe',
  });
  return so;
}

export function buildFixture(name: string, fmiVersion: '2.0' | '3.0', opts: FixtureOptions = {}): Promise<string> {
  return build(join(ROOT, 'test', 'fixtures', name), name, fmiVersion, opts);
}

export function buildLibraryModel(name: string, fmiVersion: '2.0' | '3.0', opts: FixtureOptions = {}): Promise<string> {
  return build(join(ROOT, 'library', 'models', name), name, fmiVersion, opts);
}

/** Unpacks (cached by content) and parses a built FMU. */
export function openFixture(fmuPath: string): OpenedFmu {
  return openFmu({ path: fmuPath }, { cacheDir: join(CACHE, 'unpacked') });
}
