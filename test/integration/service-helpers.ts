/**
 * A real service context on a temporary directory for the service integration tests: real FMUs
 * built from library/models by the fixtures helper, a catalog over their model.json files, the
 * in-process runner (the worker pool is tested by its own suite).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { GatewayError } from '../../src/errors.ts';
import type { CatalogEntryLike, CatalogLike, ServiceContext } from '../../src/service/context.ts';
import { silentLogger } from '../../src/service/context.ts';
import { createInProcessRunner } from '../../src/service/in-process-runner.ts';
import { createFmuFileStore } from '../../src/store/fmu-file-store.ts';
import { createRunResultStore } from '../../src/store/run-result-store.ts';
import { buildLibraryModel, ROOT } from '../helpers/fixtures.ts';

export async function buildModels(names: readonly string[]): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const name of names) {
    for (const v of ['2.0', '3.0'] as const) paths.set(`${name}@${v}`, await buildLibraryModel(name, v));
  }
  return paths;
}

/** A catalog over library/models/<name>/model.json and the FMUs just built (stands in for src/library/catalog.ts). */
export function testCatalog(built: Map<string, string>): CatalogLike {
  const names = [...new Set([...built.keys()].map((k) => k.split('@')[0] as string))];
  const entries: CatalogEntryLike[] = names.map((name) => {
    const json = JSON.parse(readFileSync(join(ROOT, 'library', 'models', name, 'model.json'), 'utf8')) as CatalogEntryLike;
    return { ...json, fmi_versions: ['2.0', '3.0'], interfaces: ['ME', 'CS'] };
  });
  return {
    list(query, limit = 50) {
      const q = query?.toLowerCase();
      const hits = entries.filter(
        (e) => q === undefined || `${e.name} ${e.description ?? ''} ${(e.tags ?? []).join(' ')}`.toLowerCase().includes(q),
      );
      return hits.slice(0, limit);
    },
    resolve(id, fmiVersion) {
      const name = id.slice('msl:'.length);
      const entry = entries.find((e) => e.name === name);
      if (!entry) throw new GatewayError('NOT_FOUND', `No library model ${id}`);
      const fmuPath = built.get(`${name}@${fmiVersion ?? '3.0'}`) as string;
      return { entry, fmuPath };
    },
  };
}

export function createTestContext(built: Map<string, string>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-service-'));
  const config = loadConfig({ FMU_GATEWAY_DATA_DIR: dir, ...env });
  const ctx: ServiceContext = {
    config,
    catalog: testCatalog(built),
    fmuStore: createFmuFileStore(config.dataDir),
    results: createRunResultStore(config.dataDir),
    runner: createInProcessRunner(),
    logger: silentLogger,
  };
  return { ctx, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Asserts a promise/function throws a GatewayError with this code. */
export function isCode(code: string) {
  return (e: unknown) => e instanceof GatewayError && e.code === code;
}
