/**
 * Builds every library/models/<Name> into build/library/<Name>/<Name>-fmi2.fmu and -fmi3.fmu and
 * writes build/library/catalog.json (metadata of each model + FMU paths + source hash). Models
 * whose sources (and the adapters / builder) are unchanged since the last build are skipped.
 *
 *   node --import tsx tools/build-library.ts [--if-compiler] [--force] [Name ...]
 *
 * --if-compiler: when no C compiler is installed, print what to install and exit 0 (postinstall).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError, toGatewayError } from '../src/errors.ts';
import { PROJECT_ROOT } from '../src/project-root.ts';
import { COMPILER_HINT, LIBRARY_DIR, adapterFiles, buildFmu, findCCompiler, normalizeModel } from './fmu-builder.ts';
import type { ModelSpec } from './fmu-builder.ts';

// The package root (not this file's folder: this module also runs bundled, from build/tools/).
const ROOT = `${PROJECT_ROOT}${sep}`;
export const DEFAULT_OUT_DIR = join(ROOT, 'build', 'library');
const MODELS_DIR = join(LIBRARY_DIR, 'models');
const BUILDER_DIR = join(ROOT, 'tools', 'fmu-builder');

export interface CatalogVariable {
  name: string;
  value_reference: number;
  type: string;
  causality: string;
  variability: string;
  initial?: string;
  start?: number | string | boolean;
  unit?: string;
  description?: string;
  derivative_of?: string;
  min?: number;
  max?: number;
}

export interface CatalogEntry extends Omit<ModelSpec, 'variables' | '$schema'> {
  id: string;
  fmi_versions: ('2.0' | '3.0')[];
  interfaces: ('ME' | 'CS')[];
  /** Relative to the catalog's folder. */
  fmus: { '2.0': string; '3.0': string };
  guids: { '2.0': string; '3.0': string };
  /** sha256 over model.json, model.c, the adapters and the builder: unchanged = not rebuilt. */
  source_sha256: string;
  counts: { inputs: number; outputs: number; parameters: number; states: number; event_indicators: number };
  variables: CatalogVariable[];
}

export interface BuildLibraryOptions {
  outDir?: string;
  /** Only (re)build these models; the catalog still lists every built model. */
  models?: string[];
  force?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface BuildLibraryResult {
  catalogPath: string;
  catalog: CatalogEntry[];
  built: string[];
  skipped: string[];
  failed: { model: string; error: GatewayError }[];
}

async function sharedSourcesHash(): Promise<string> {
  const h = createHash('sha256');
  const files = [
    ...adapterFiles('2.0').cFiles,
    ...adapterFiles('2.0').headers,
    ...adapterFiles('2.0').fmiHeaders,
    ...adapterFiles('3.0').cFiles,
    ...adapterFiles('3.0').headers,
    ...adapterFiles('3.0').fmiHeaders,
    join(ROOT, 'tools', 'fmu-builder.ts'),
    // An installed package has the builder only bundled (build/tools/): its hash then differs
    // from the shipped catalog's, which only matters when it rebuilds anyway.
    ...(existsSync(BUILDER_DIR) ? await readdir(BUILDER_DIR) : [])
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .map((f) => join(BUILDER_DIR, f)),
  ].filter((f) => existsSync(f));
  for (const f of [...new Set(files)]) h.update(f.slice(ROOT.length)).update(await readFile(f));
  return h.digest('hex');
}

async function listModels(): Promise<string[]> {
  const entries = await readdir(MODELS_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(MODELS_DIR, e.name, 'model.json')))
    .map((e) => e.name)
    .sort();
}

async function readCatalog(path: string): Promise<CatalogEntry[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return Array.isArray(parsed) ? (parsed as CatalogEntry[]) : [];
  } catch {
    return [];
  }
}

/** Runs tasks with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function catalogEntry(spec: ModelSpec, rawJson: unknown, sha: string, guids: { '2.0': string; '3.0': string }): CatalogEntry {
  const model = normalizeModel(rawJson, spec.name);
  const variables = model.variables.map((v): CatalogVariable => ({
    name: v.name,
    value_reference: v.vr,
    type: v.type,
    causality: v.causality,
    variability: v.variability,
    ...(v.initial ? { initial: v.initial } : {}),
    ...(v.start !== undefined ? { start: v.start } : {}),
    ...(v.unit ? { unit: v.unit } : {}),
    ...(v.description ? { description: v.description } : {}),
    ...(v.derivativeOf ? { derivative_of: v.derivativeOf.name } : {}),
    ...(v.min !== undefined ? { min: v.min } : {}),
    ...(v.max !== undefined ? { max: v.max } : {}),
  }));
  const { variables: _vars, $schema: _schema, ...meta } = spec;
  return {
    id: `msl:${spec.name}`,
    ...meta,
    fmi_versions: ['2.0', '3.0'],
    interfaces: ['ME', 'CS'],
    fmus: { '2.0': `${spec.name}/${spec.name}-fmi2.fmu`, '3.0': `${spec.name}/${spec.name}-fmi3.fmu` },
    guids,
    source_sha256: sha,
    counts: {
      inputs: model.variables.filter((v) => v.causality === 'input').length,
      outputs: model.variables.filter((v) => v.causality === 'output').length,
      parameters: model.variables.filter((v) => v.causality === 'parameter').length,
      states: model.states.length,
      event_indicators: model.eventIndicators.length,
    },
    variables,
  };
}

export async function buildLibrary(opts: BuildLibraryOptions = {}): Promise<BuildLibraryResult> {
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const catalogPath = join(outDir, 'catalog.json');
  const previous = new Map((await readCatalog(catalogPath)).map((e) => [e.name, e]));
  const shared = await sharedSourcesHash();
  const names = await listModels();
  const wanted = new Set(opts.models ?? names);
  for (const w of wanted)
    if (!names.includes(w)) throw new GatewayError('NOT_FOUND', `No model '${w}' in ${MODELS_DIR} (have: ${names.join(', ')})`);

  const result: BuildLibraryResult = { catalogPath, catalog: [], built: [], skipped: [], failed: [] };
  const entries = new Map<string, CatalogEntry>();
  const tasks = names.map((name) => async (): Promise<void> => {
    const dir = join(MODELS_DIR, name);
    try {
      const jsonText = await readFile(join(dir, 'model.json'), 'utf8');
      const sha = createHash('sha256')
        .update(shared)
        .update(jsonText)
        .update(await readFile(join(dir, 'model.c')))
        .digest('hex');
      const raw: unknown = JSON.parse(jsonText);
      const spec = normalizeModel(raw, name).spec;
      const prev = previous.get(spec.name);
      const fmu2 = join(outDir, name, `${name}-fmi2.fmu`),
        fmu3 = join(outDir, name, `${name}-fmi3.fmu`);
      const upToDate = prev !== undefined && prev.source_sha256 === sha && existsSync(fmu2) && existsSync(fmu3);
      if (!wanted.has(name) || (upToDate && !opts.force)) {
        if (prev !== undefined && existsSync(fmu2) && existsSync(fmu3)) entries.set(name, prev);
        result.skipped.push(name);
        return;
      }
      await mkdir(join(outDir, name), { recursive: true });
      const guids = { '2.0': '', '3.0': '' };
      for (const [version, target] of [
        ['2.0', fmu2],
        ['3.0', fmu3],
      ] as const) {
        // Build beside the target, then rename: readers (parallel test files) never see half an FMU.
        const tmp = `${target}.${process.pid}.tmp`;
        try {
          const r = await buildFmu({ modelDir: dir, fmiVersion: version, outFile: tmp, sources: true });
          await rename(tmp, target);
          guids[version] = r.guid;
          if (r.warnings) log(`warning: ${name} (FMI ${version}) compiled with warnings:\n${r.warnings}`);
        } finally {
          await rm(tmp, { force: true });
        }
      }
      entries.set(name, catalogEntry(spec, raw, sha, guids));
      result.built.push(name);
      log(`built ${name} (FMI 2.0 + 3.0)`);
    } catch (e) {
      const error = toGatewayError(e);
      result.failed.push({ model: name, error });
      log(`FAILED ${name}: ${error.message}`);
    }
  });
  await pool(tasks, Math.max(1, availableParallelism()));
  result.catalog = names.flatMap((n) => entries.get(n) ?? []);
  await mkdir(outDir, { recursive: true });
  const tmp = `${catalogPath}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(result.catalog, null, 2)}\n`);
  await rename(tmp, catalogPath);
  return result;
}

async function main(argv: string[]): Promise<number> {
  const ifCompiler = argv.includes('--if-compiler');
  const force = argv.includes('--force');
  const models = argv.filter((a) => !a.startsWith('--'));
  if (findCCompiler() === undefined) {
    process.stderr.write(`fmu-gateway: the built-in model library was not built. ${COMPILER_HINT} Then run \`npm run build\`.\n`);
    return ifCompiler ? 0 : 1;
  }
  const started = Date.now();
  const r = await buildLibrary({ force, ...(models.length > 0 ? { models } : {}) });
  process.stderr.write(
    `library: ${r.built.length} built, ${r.skipped.length} up to date, ${r.failed.length} failed ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${r.catalogPath}\n`,
  );
  return r.failed.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`build-library: ${toGatewayError(e).message}\n`);
      process.exit(1);
    },
  );
}
