import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sourceStamp } from '../../bin/source-stamp.js';

const root = mkdtempSync(join(tmpdir(), 'fmu-stamp-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the source stamp changes when a source is edited, added or removed (a stale bundle is never used)', () => {
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"name":"fmu-gateway"}');
  writeFileSync(join(root, 'src', 'a.ts'), 'export {};');
  writeFileSync(join(root, 'src', 'cli', 'b.ts'), 'export {};');
  const past = new Date(Date.now() - 60_000);
  for (const f of ['package.json', 'src/a.ts', 'src/cli/b.ts']) utimesSync(join(root, f), past, past);
  const first = sourceStamp(root);
  assert.equal(sourceStamp(root), first, 'stable while nothing changes');

  utimesSync(join(root, 'src', 'cli', 'b.ts'), new Date(), new Date());
  const edited = sourceStamp(root);
  assert.notEqual(edited, first);

  writeFileSync(join(root, 'src', 'c.ts'), 'export {};');
  utimesSync(join(root, 'src', 'c.ts'), past, past);
  const added = sourceStamp(root);
  assert.notEqual(added, edited);

  rmSync(join(root, 'src', 'c.ts'));
  assert.equal(sourceStamp(root), edited, 'removing the file restores the count');
});

test('reuseWithinMs reuses the last walk only when asked and only while it is that fresh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmu-stamp-reuse-'));
  try {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"fmu-gateway"}');
    writeFileSync(join(dir, 'src', 'a.ts'), 'export {};');
    const past = new Date(Date.now() - 60_000);
    for (const f of ['package.json', 'src/a.ts']) utimesSync(join(dir, f), past, past);
    const first = sourceStamp(dir);
    utimesSync(join(dir, 'src', 'a.ts'), new Date(), new Date());
    // The launcher's walk, reused by a check moments later (the edit between is not seen: the point of the window).
    assert.equal(sourceStamp(dir, { reuseWithinMs: 60_000 }), first);
    // Without the option, or once the walk is older than the window, the edit is seen.
    const edited = sourceStamp(dir);
    assert.notEqual(edited, first);
    writeFileSync(join(dir, 'src', 'b.ts'), 'export {};');
    utimesSync(join(dir, 'src', 'b.ts'), past, past);
    assert.notEqual(sourceStamp(dir, { reuseWithinMs: 0 }), edited);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
