/**
 * The import directions of STYLE.md and the package boundaries of DESIGN.md are ESLint rules
 * (eslint.config.js); these tests lint small snippets as if they lived in a given folder, so a
 * rule that stops firing (or fires on an allowed import) fails here rather than silently.
 */
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const RESTRICTED = '@typescript-eslint/no-restricted-imports';

describe('architecture rules', () => {
  const forbidden: [string, string][] = [
    ['src/engine/x.ts', "import { simulate } from '../service/simulate.ts';\nexport const a = simulate;\n"],
    ['src/engine/solvers/x.ts', "import { createWorkerPool } from '../../runner/pool.ts';\nexport const a = createWorkerPool;\n"],
    ['src/engine/x.ts', "import koffi from 'koffi';\nexport const a = koffi;\n"],
    ['src/engine/x.ts', "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nexport const a = McpServer;\n"],
    ['src/fmi/x.ts', "import { runSimulation } from '../engine/run.ts';\nexport const a = runSimulation;\n"],
    ['src/service/x.ts', "import { createWorkerPool } from '../runner/pool.ts';\nexport const a = createWorkerPool;\n"],
    ['src/service/x.ts', "import { loadConfig } from '../config.ts';\nexport const a = loadConfig;\n"],
    ['src/service/x.ts', "import { createMcpServer } from '../mcp/server.ts';\nexport const a = createMcpServer;\n"],
    ['src/store/x.ts', "import { runSimulation } from '../engine/run.ts';\nexport const a = runSimulation;\n"],
    ['src/mcp/tools/x.ts', "import { openFmu } from '../../fmi/archive.ts';\nexport const a = openFmu;\n"],
    ['src/http/x.ts', "import { runLibraryCommand } from '../cli/library.ts';\nexport const a = runLibraryCommand;\n"],
    ['src/schemas/x.ts', "import { openFmu } from '../fmi/archive.ts';\nexport const a = openFmu;\n"],
    ['src/runner/x.ts', "import keyv from 'keyv';\nexport const a = keyv;\n"],
    ['src/service/x.ts', "import stripe from 'stripe';\nexport const a = stripe;\n"],
    ['src/store/x.ts', "import { request } from 'undici';\nexport const a = request;\n"],
    ['src/errors.ts', "import { loadConfig } from './config.ts';\nexport const a = loadConfig;\n"],
  ];
  for (const [file, code] of forbidden) {
    it(`rejects ${code.split('\n')[0]} in ${file}`, async () => {
      assert.ok((await ruleIds(file, code)).includes(RESTRICTED));
    });
  }

  const allowed: [string, string][] = [
    ['src/engine/x.ts', "import { openFmu } from '../fmi/archive.ts';\nexport const a = openFmu;\n"],
    ['src/service/x.ts', "import type { RunOptions } from '../runner/types.ts';\nexport type A = RunOptions;\n"],
    ['src/service/x.ts', "import type { Config } from '../config.ts';\nexport type A = Config;\n"],
    ['src/store/x.ts', "import type { SimulationResult } from '../engine/types.ts';\nexport type A = SimulationResult;\n"],
    ['src/http/x.ts', "import { createMcpServer } from '../mcp/server.ts';\nexport const a = createMcpServer;\n"],
    ['src/fmi/x.ts', "import koffi from 'koffi';\nexport const a = koffi;\n"],
    ['src/cli/x.ts', "import { loadConfig } from '../config.ts';\nexport const a = loadConfig;\n"],
  ];
  for (const [file, code] of allowed) {
    it(`allows ${code.split('\n')[0]} in ${file}`, async () => {
      assert.deepEqual(await ruleIds(file, code), []);
    });
  }

  it('rejects console.log in src (stdout belongs to the MCP transport)', async () => {
    assert.ok((await ruleIds('src/mcp/x.ts', "console.log('hi');\n")).includes('no-console'));
  });

  it('rejects reading process.env outside src/config.ts', async () => {
    assert.ok((await ruleIds('src/service/x.ts', 'export const a = process.env.HOME;\n')).includes('no-restricted-properties'));
    assert.deepEqual(await ruleIds('src/config.ts', 'export const a = process.env.HOME;\n'), []);
  });
});
