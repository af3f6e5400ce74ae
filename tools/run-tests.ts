/**
 * Runs the test suite with node:test. Node 20's --test does not expand globs, so the
 * files are listed here. `npm test [unit|integration|e2e ...]` narrows to those folders.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not URL.pathname: the latter keeps %20 and friends, so a checkout under a path
// with a space (or any escaped character) would find no test files at all.
const root = fileURLToPath(new URL('..', import.meta.url));
const folders = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];

function collect(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries.sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...collect(full));
    else if (entry.endsWith('.test.ts')) files.push(full);
  }
  return files;
}

const files = folders.flatMap((f) => collect(join(root, 'test', f)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The sandbox tests need bubblewrap (Debian package `bubblewrap`); without it they are skipped,
// and this says so up front rather than letting a green run hide it.
const hasBwrap = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => existsSync(p));
if (!hasBwrap) {
  console.error(
    'note: bubblewrap (bwrap) is not installed: the worker-sandbox tests will be skipped. Install it with .ci/install-system-deps.sh (or apt-get install bubblewrap).',
  );
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
