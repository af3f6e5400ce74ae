/**
 * FMI 3 sources/buildDescription.xml → what to compile for one model identifier:
 * the SourceFile names, IncludeDirectory names (both relative to sources/) and
 * PreprocessorDefinitions of the matching BuildConfiguration's SourceFileSets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { escapeForText } from '../text-escape.ts';
import type { XmlElement } from './model-description-xml.ts';
import { childrenOf, parseXmlTree, reqString } from './model-description-xml.ts';
import { relativePathProblem } from './safe-path.ts';

export interface BuildDescription {
  sources: string[];
  includeDirs: string[];
  /** `NAME` or `NAME=value`, ready for -D. */
  defines: string[];
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function failed(message: string, data: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('COMPILE_FAILED', `sources/buildDescription.xml: ${message}`, data);
}

function buildPath(el: XmlElement): string {
  const name = reqString(el, 'name');
  const problem = relativePathProblem(name);
  if (problem === undefined) return name;
  throw new GatewayError(
    'MODEL_DESCRIPTION_INVALID',
    `sources/buildDescription.xml: ${el.tag} name "${escapeForText(name, 80)}" ${problem}; it must be a relative path inside sources/`,
    { file: 'sources/buildDescription.xml', element: el.tag, attribute: 'name' },
  );
}

/**
 * Upload-time check of every SourceFile / IncludeDirectory name in every BuildConfiguration, so a
 * hostile name is refused when the FMU arrives, not on first build. A file that does not parse is
 * left to build time (COMPILE_FAILED then): the FMU may still run from its binaries.
 */
export function checkBuildDescriptionNames(xml: string): void {
  let root: XmlElement;
  try {
    root = parseXmlTree(xml, 'sources/buildDescription.xml');
  } catch {
    return;
  }
  for (const config of childrenOf(root, 'BuildConfiguration')) {
    for (const set of childrenOf(config, 'SourceFileSet')) {
      for (const el of set.children) if (el.tag === 'SourceFile' || el.tag === 'IncludeDirectory') buildPath(el);
    }
  }
}

export function readBuildDescription(sourcesDir: string, modelIdentifier: string, platformTuple: string): BuildDescription {
  const file = join(sourcesDir, 'buildDescription.xml');
  if (!existsSync(file)) {
    throw failed('missing; an FMI 3 source-code FMU must describe its build there (FMI 3.0 §2.5.1), so we cannot tell what to compile');
  }
  let root;
  try {
    root = parseXmlTree(readFileSync(file, 'utf8'), 'sources/buildDescription.xml');
  } catch (e) {
    // Same safety rules as modelDescription.xml, reported as a build problem.
    throw failed(e instanceof Error ? e.message : String(e));
  }
  if (root.tag !== 'fmiBuildDescription') throw failed(`root element is <${root.tag}>, expected <fmiBuildDescription>`);
  const configs = childrenOf(root, 'BuildConfiguration');
  const config = configs.find((c) => {
    const id = c.attrs.modelIdentifier;
    const platform = c.attrs.platform;
    return id === modelIdentifier && (platform === undefined || platform === platformTuple);
  });
  if (!config) {
    const ids = configs.map((c) => c.attrs.modelIdentifier ?? '?');
    throw failed(
      `no BuildConfiguration for modelIdentifier "${modelIdentifier}" on ${platformTuple} (found: ${ids.join(', ') || 'none'})`,
      { available: ids },
    );
  }
  const out: BuildDescription = { sources: [], includeDirs: [], defines: [] };
  for (const set of childrenOf(config, 'SourceFileSet')) {
    // Names become paths under sources/: refused here, before any join, if they could leave it.
    for (const f of childrenOf(set, 'SourceFile')) out.sources.push(buildPath(f));
    for (const d of childrenOf(set, 'IncludeDirectory')) out.includeDirs.push(buildPath(d));
    for (const d of childrenOf(set, 'PreprocessorDefinition')) {
      const name = reqString(d, 'name');
      // Passed as an argv element (no shell), but a non-identifier name would still be a compiler flag injection.
      if (!C_IDENTIFIER.test(name)) throw failed(`PreprocessorDefinition name "${name}" is not a C identifier`, { name });
      const value = d.attrs.value;
      out.defines.push(value === undefined ? name : `${name}=${value}`);
    }
    // compilerOptions are deliberately ignored: arbitrary flags from an uploaded file could load
    // compiler plugins or write elsewhere; we build with our own fixed flags.
  }
  if (out.sources.length === 0) throw failed(`BuildConfiguration "${modelIdentifier}" lists no SourceFile`);
  return out;
}
