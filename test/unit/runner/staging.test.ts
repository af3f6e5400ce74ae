import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createStageRoot } from '../../../src/runner/staging.ts';

const base = mkdtempSync(join(tmpdir(), 'fmu-staging-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('a new pool removes stage roots of processes that died without closing theirs, and keeps live ones', () => {
  chmodSync(base, 0o755); // traversable, so the stage root goes under <cacheDir>/.runner
  const runner = join(base, '.runner');
  const dead = join(runner, 'pool-2147483646-abc123'); // no such pid
  const live = join(runner, `pool-${process.pid}-def456`);
  for (const d of [dead, live]) {
    mkdirSync(join(d, 'w1'), { recursive: true });
    writeFileSync(join(d, 'w1', 'model.so'), 'x');
  }
  const root = createStageRoot(base);
  assert.ok(root.startsWith(join(runner, `pool-${process.pid}-`)), root);
  assert.equal(existsSync(dead), false, 'the orphaned root is gone');
  assert.equal(existsSync(live), true, 'a live process keeps its root');
});
