/**
 * Builds an FMU (FMI 2.0 or 3.0, Model Exchange + Co-Simulation) from a model folder holding
 * model.c + model.json: generates modelDescription.xml and the model's C header from model.json,
 * compiles model.c with the generic adapter (library/adapters/), and zips the result.
 */
import AdmZip from 'adm-zip';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { GatewayError } from '../src/errors.ts';
import { PROJECT_ROOT } from '../src/project-root.ts';
import { generateHeader, generateTables } from './fmu-builder/c-gen.ts';
import { compileSharedLibrary } from './fmu-builder/compiler.ts';
import { normalizeModel } from './fmu-builder/model-spec.ts';
import type { NormModel } from './fmu-builder/model-spec.ts';
import { generateBuildDescription, generateFmi2Xml, generateFmi3Xml } from './fmu-builder/xml-gen.ts';

export { findCCompiler, COMPILER_HINT } from './fmu-builder/compiler.ts';
export { ModelSpecSchema, normalizeModel } from './fmu-builder/model-spec.ts';
export type { ModelSpec, NormModel } from './fmu-builder/model-spec.ts';

// From the package root, not this file: the builder also runs bundled (build/tools/build-library.mjs).
export const LIBRARY_DIR = `${join(PROJECT_ROOT, 'library')}/`;
const INCLUDE_DIR = join(LIBRARY_DIR, 'include');
/** Our FMI 2.0 / 3.0 headers under the standard names: on every build's include path, never shipped in sources/. */
export const FMI_HEADERS_DIR = join(INCLUDE_DIR, 'fmi');
const ADAPTER_DIR = join(LIBRARY_DIR, 'adapters');

export interface BuildFmuOptions {
  /** Folder holding model.c + model.json. */
  modelDir: string;
  fmiVersion: '2.0' | '3.0';
  outFile: string;
  /** Compile and include the binary (default true). */
  binary?: boolean;
  /** Include sources/ (+ FMI 3 sources/buildDescription.xml, FMI 2 <SourceFiles>). */
  sources?: boolean;
  /** Binary folder name override, e.g. 'darwin64' to build a wrong-platform FMU. */
  platformDir?: string;
  cflags?: string[];
  /** More C files compiled into the binary (and copied into sources/). */
  extraSources?: string[];
  /** Rewrites the generated modelDescription.xml (tests: wrong GUID, broken XML, ...). */
  mutateXml?: (xml: string) => string;
  /**
   * Shipped sources only: the adapter defines FMI2_FUNCTION_PREFIX / FMI3_FUNCTION_PREFIX as
   * "<modelIdentifier>_", the convention of source-code FMUs ('declared'); 'forced' also undefines
   * FMIx_OVERRIDE_FUNCTION_PREFIX, so the compiled functions keep the prefix whatever the importer
   * defines (as with sources that bring headers of their own).
   */
  functionPrefix?: 'declared' | 'forced';
  /** model.c implements the FMI API itself (no adapters): sources/ holds model.c alone. */
  rawSources?: boolean;
}

export interface BuildFmuResult {
  outFile: string;
  modelIdentifier: string;
  /** GUID (FMI 2) / instantiationToken (FMI 3) written into the XML and the binary. */
  guid: string;
  /** Compiler warnings ('' when clean or when no binary was built). */
  warnings: string;
}

/** The host's binaries/ folder name of the given FMI version. */
export function hostPlatformDir(fmiVersion: '2.0' | '3.0'): string {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'win' : 'linux';
  if (fmiVersion === '2.0') return `${os}64`;
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  return `${arch}-${os === 'win' ? 'windows' : os}`;
}

function libraryExtension(platformDir: string): string {
  if (platformDir.includes('darwin')) return '.dylib';
  if (platformDir.includes('win')) return '.dll';
  return '.so';
}

/**
 * Adapter C sources (shared core + the version's adapter), the project headers they need (shipped
 * in sources/), and the standard FMI headers they include (not shipped: like most real exports, a
 * sources-only FMU relies on the importer's FMI headers; the gateway provides its own).
 */
export function adapterFiles(fmiVersion: '2.0' | '3.0'): { cFiles: string[]; headers: string[]; fmiHeaders: string[] } {
  const v = fmiVersion === '2.0' ? 'fmi2' : 'fmi3';
  const fmiHeaders =
    fmiVersion === '2.0'
      ? ['fmi2Functions.h', 'fmi2FunctionTypes.h', 'fmi2TypesPlatform.h']
      : ['fmi3Functions.h', 'fmi3FunctionTypes.h', 'fmi3PlatformTypes.h'];
  return {
    cFiles: [join(ADAPTER_DIR, 'core.c'), join(ADAPTER_DIR, 'cs_solver.c'), join(ADAPTER_DIR, `${v}.c`)],
    headers: [join(INCLUDE_DIR, 'model.h'), join(INCLUDE_DIR, 'core.h')],
    fmiHeaders: fmiHeaders.map((h) => join(FMI_HEADERS_DIR, h)),
  };
}

/** Deterministic GUID / instantiation token: changes whenever the model, adapter or version changes. */
export function deriveGuid(parts: readonly (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  const hex = h.digest('hex');
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}}`;
}

async function readModel(modelDir: string): Promise<{ model: NormModel; json: string; modelC: string }> {
  let json: string;
  let modelC: string;
  try {
    json = await readFile(join(modelDir, 'model.json'), 'utf8');
    modelC = await readFile(join(modelDir, 'model.c'), 'utf8');
  } catch (e) {
    throw new GatewayError('NOT_FOUND', `Model folder ${modelDir} needs model.json and model.c: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new GatewayError('MODEL_DESCRIPTION_INVALID', `${join(modelDir, 'model.json')} is not valid JSON: ${(e as Error).message}`);
  }
  return { model: normalizeModel(raw, basename(modelDir)), json, modelC };
}

/** The version adapter's text with the function-prefix definitions of BuildFmuOptions.functionPrefix in front. */
function withPrefix(text: Buffer, name: string, id: string, mode: BuildFmuOptions['functionPrefix']): Buffer {
  const v = name === 'fmi2.c' ? 2 : name === 'fmi3.c' ? 3 : undefined;
  if (mode === undefined || v === undefined) return text;
  const lines = [
    `/* Source-code FMU convention: every FMI function is named ${id}_fmi${v}Xxx. */`,
    ...(mode === 'forced' ? [`#undef FMI${v}_OVERRIDE_FUNCTION_PREFIX`] : []),
    `#define FMI${v}_FUNCTION_PREFIX ${id}_`,
    '',
  ];
  return Buffer.concat([Buffer.from(lines.join('\n'), 'utf8'), text]);
}

export async function buildFmu(opts: BuildFmuOptions): Promise<BuildFmuResult> {
  const modelDir = resolve(opts.modelDir);
  const { model, json, modelC } = await readModel(modelDir);
  const id = model.spec.name;
  const withBinary = opts.binary ?? true;
  const withSources = opts.sources ?? false;
  const { cFiles, headers, fmiHeaders } = adapterFiles(opts.fmiVersion);
  const extra = (opts.extraSources ?? []).map((f) => resolve(f));
  const adapterTexts = await Promise.all([...cFiles, ...headers, ...fmiHeaders].map((f) => readFile(f)));
  const guid = deriveGuid([opts.fmiVersion, json, modelC, ...adapterTexts, ...(opts.cflags ?? [])]);

  const header = generateHeader(model, guid);
  const tables = generateTables(model);
  const sourceNames =
    opts.rawSources === true ? ['model.c'] : ['model.c', ...cFiles.map((f) => basename(f)), ...extra.map((f) => basename(f))];
  let xml = opts.fmiVersion === '2.0' ? generateFmi2Xml(model, guid, withSources ? sourceNames : undefined) : generateFmi3Xml(model, guid);
  if (opts.mutateXml) xml = opts.mutateXml(xml);

  const zip = new AdmZip();
  zip.addFile('modelDescription.xml', Buffer.from(xml, 'utf8'));
  let warnings = '';
  const work = await mkdtemp(join(tmpdir(), `fmu-build-${id}-`));
  try {
    await writeFile(join(work, 'model_generated.h'), header);
    await writeFile(join(work, 'model_tables.h'), tables);
    if (withBinary) {
      const platformDir = opts.platformDir ?? hostPlatformDir(opts.fmiVersion);
      const libName = `${id}${libraryExtension(platformDir)}`;
      const libPath = join(work, libName);
      warnings = await compileSharedLibrary({
        sources: [join(modelDir, 'model.c'), ...cFiles, ...extra],
        includeDirs: [work, INCLUDE_DIR, FMI_HEADERS_DIR, modelDir],
        outFile: libPath,
        cflags: opts.cflags,
        label: `${id} (FMI ${opts.fmiVersion})`,
      });
      zip.addFile(`binaries/${platformDir}/${libName}`, await readFile(libPath));
    }
    if (withSources) {
      zip.addFile('sources/model.c', Buffer.from(modelC, 'utf8'));
      if (opts.rawSources !== true) {
        zip.addFile('sources/model_generated.h', Buffer.from(header, 'utf8'));
        zip.addFile('sources/model_tables.h', Buffer.from(tables, 'utf8'));
        for (const f of [...cFiles, ...headers, ...extra]) {
          zip.addFile(`sources/${basename(f)}`, withPrefix(await readFile(f), basename(f), id, opts.functionPrefix));
        }
      }
      if (opts.fmiVersion === '3.0') {
        zip.addFile('sources/buildDescription.xml', Buffer.from(generateBuildDescription(id, sourceNames), 'utf8'));
      }
    }
    zip.addFile('documentation/model.json', Buffer.from(json, 'utf8'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const outFile = resolve(opts.outFile);
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, zip.toBuffer());
  return { outFile, modelIdentifier: id, guid, warnings };
}
