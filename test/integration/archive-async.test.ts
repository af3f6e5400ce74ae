/**
 * openFmuAsync: openFmu in a worker thread. Same result and same coded errors as the synchronous
 * openFmu, variables returned completely across slices, an FMU known by sha256 answered from memory
 * (parsed once per process), and the main thread keeps running timers while a big description parses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { openFmu } from '../../src/fmi/archive.ts';
import { openFmuAsync, stopParseThread } from '../../src/fmi/archive-async.ts';
import { VARIABLES_PER_SLICE } from '../../src/fmi/archive-thread.ts';
import { bigDescriptionFmu } from '../helpers/big-description.ts';
import { buildLibraryModel } from '../helpers/fixtures.ts';
import { craftZip } from '../helpers/zip-craft.ts';

const dir = mkdtempSync(join(tmpdir(), 'archive-async-'));
after(async () => {
  await stopParseThread();
  rmSync(dir, { recursive: true, force: true });
});

describe('openFmuAsync', () => {
  it('gives the same OpenedFmu as openFmu for a real FMU', async () => {
    const path = await buildLibraryModel('BouncingBall', '3.0');
    const cacheDir = join(dir, 'same');
    const a = await openFmuAsync({ path }, { cacheDir });
    const b = openFmu({ path }, { cacheDir });
    assert.deepEqual(a, b);
  });

  it('returns every variable of a description larger than one slice, in order', async () => {
    const n = VARIABLES_PER_SLICE * 3 + 7;
    const bytes = readFileSync(bigDescriptionFmu(n));
    const o = await openFmuAsync({ bytes }, { cacheDir: join(dir, 'slices') });
    assert.equal(o.modelDescription.variables.length, n);
    assert.deepEqual(
      o.modelDescription.variables.slice(VARIABLES_PER_SLICE - 1, VARIABLES_PER_SLICE + 1).map((v) => v.value_reference),
      [VARIABLES_PER_SLICE - 1, VARIABLES_PER_SLICE],
    );
    assert.equal(o.modelDescription.variables.at(-1)?.value_reference, n - 1);
  });

  it('an FMU opened before is answered from memory by its sha256 (no second parse)', async () => {
    const path = await buildLibraryModel('Dahlquist', '2.0');
    const cacheDir = join(dir, 'memo');
    const first = await openFmuAsync({ path }, { cacheDir });
    const again = await openFmuAsync({ path }, { cacheDir, sha256: first.sha256 });
    assert.equal(again, first, 'the very same object');
  });

  it('errors cross the thread with their code and data', async () => {
    const bad = craftZip([{ name: 'modelDescription.xml', data: Buffer.from('<?xml version="1.0"?><a n="\xb0"/>', 'latin1') }]);
    await assert.rejects(
      openFmuAsync({ bytes: bad }, { cacheDir: join(dir, 'err') }),
      (e: unknown) => e instanceof GatewayError && e.code === 'MODEL_DESCRIPTION_INVALID' && e.data?.reason === 'encoding',
    );
    await assert.rejects(
      openFmuAsync({ bytes: Buffer.from('not a zip') }, { cacheDir: join(dir, 'err') }),
      (e: unknown) => e instanceof GatewayError && e.code === 'FMU_INVALID',
    );
    // The thread is still there for the next FMU.
    const ok = await openFmuAsync({ path: await buildLibraryModel('Dahlquist', '3.0') }, { cacheDir: join(dir, 'err') });
    assert.equal(ok.modelDescription.fmi_version, '3.0');
  });

  it('an idle parse thread never keeps the process alive, also after a refused FMU', async () => {
    // A child process that opens one bad and one good FMU and then has nothing left to do must exit by itself.
    const good = await buildLibraryModel('Dahlquist', '2.0');
    const script = [
      `import { openFmuAsync } from ${JSON.stringify(new URL('../../src/fmi/archive-async.ts', import.meta.url).href)};`,
      `const cacheDir = ${JSON.stringify(join(dir, 'exit'))};`,
      `await openFmuAsync({ bytes: Buffer.from('not a zip') }, { cacheDir }).catch(() => {});`,
      `await openFmuAsync({ path: ${JSON.stringify(good)} }, { cacheDir });`,
      `await openFmuAsync({ bytes: Buffer.from('still not a zip') }, { cacheDir }).catch(() => {});`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'the process exited by itself (no timeout)');
    assert.equal(r.status, 0, r.stderr);
  });

  it('timers on the main thread keep firing while a big description is parsed', async () => {
    const bytes = readFileSync(bigDescriptionFmu(60_000));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const o = await openFmuAsync({ bytes }, { cacheDir: join(dir, 'loop') });
    const ms = performance.now() - t0;
    clearInterval(timer);
    assert.equal(o.modelDescription.variables.length, 60_000);
    // A blocked loop would fire ~0 times during the parse; a free one about ms/10 times.
    assert.ok(ticks >= Math.min(20, ms / 50), `${ticks} timer ticks during ${ms.toFixed(0)} ms`);
  });
});
