/**
 * tools/run-tests.ts finds the test files relative to its own location; a checkout whose path
 * needs URL escaping (a space, a '%') must still be found.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('tools/run-tests.ts', () => {
  const base = mkdtempSync(join(tmpdir(), 'run-tests-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  it('runs the tests of a checkout whose path has a space', () => {
    const root = join(base, 'my checkout');
    mkdirSync(join(root, 'tools'), { recursive: true });
    mkdirSync(join(root, 'test', 'unit'), { recursive: true });
    copyFileSync(join(projectRoot, 'tools', 'run-tests.ts'), join(root, 'tools', 'run-tests.ts'));
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
    writeFileSync(join(root, 'test', 'unit', 'ok.test.ts'), "import { it } from 'node:test';\nit('passes', () => {});\n");
    // Without NODE_TEST_CONTEXT the nested runner reports as a top-level run (to our pipe).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools', 'run-tests.ts'), 'unit'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /passes/);
  });
});
