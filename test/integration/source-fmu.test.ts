/**
 * A sources-only copy of a library model (no binary for any platform) is compiled on first use,
 * gives the same result as its binary twin to the last digit, and is not compiled again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { openFmu } from '../../src/fmi/archive.ts';
import { ensureBinary } from '../../src/fmi/source-build.ts';
import { buildFmu } from '../../tools/fmu-builder.ts';
import { ROOT, buildLibraryModel } from '../helpers/fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'fmu-src-'));
after(() => rmSync(work, { recursive: true, force: true }));

for (const fmiVersion of ['2.0', '3.0'] as const) {
  test(`FMI ${fmiVersion}: a sources-only BouncingBall compiles once and matches its binary twin exactly`, async () => {
    const cacheDir = join(work, `cache-${fmiVersion}`);
    const sourceOnly = join(work, `BouncingBall-src-${fmiVersion}.fmu`);
    await buildFmu({
      modelDir: join(ROOT, 'library/models/BouncingBall'),
      fmiVersion,
      outFile: sourceOnly,
      binary: false,
      sources: true,
    });
    const opened = openFmu({ path: sourceOnly }, { cacheDir });
    assert.equal(opened.hasSources, true);
    assert.deepEqual(opened.platforms, [], 'the copy carries no binary');

    const first = await ensureBinary(opened, 'CS', { cacheDir });
    assert.equal(first.origin, 'compiled');
    const second = await ensureBinary(opened, 'CS', { cacheDir });
    assert.equal(second.origin, 'cache', 'a second use must not compile again');
    assert.equal(second.path, first.path);

    const twin = openFmu({ path: await buildLibraryModel('BouncingBall', fmiVersion) }, { cacheDir });
    const options = { startTime: 0, stopTime: 3, outputInterval: 0.01, interface: 'CS' as const };
    const fromSources = runSimulation({ ...opened, binaryPath: first.path }, options);
    const fromBinary = runSimulation(twin, options);
    assert.equal(fromSources.rows, fromBinary.rows);
    assert.deepEqual(Array.from(fromSources.time), Array.from(fromBinary.time));
    for (const col of fromBinary.columns) {
      const other = fromSources.columns.find((c) => c.name === col.name);
      assert.ok(other, `column ${col.name} present`);
      assert.deepEqual([...other.values], [...col.values], `${col.name} identical to the last digit`);
    }
  });
}
