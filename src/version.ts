/** The engine version reported in provenance and `--version`, read once from package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './project-root.ts';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

export const ENGINE_VERSION = `fmu-gateway ${pkg.version}`;
