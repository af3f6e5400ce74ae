/**
 * `fmu-gateway/client` from outside the package: a plain-JavaScript consumer (no TypeScript loader)
 * imports the built client and gets coded errors from it, and a TypeScript consumer typechecks
 * against the shipped declarations.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildClient } from '../../tools/build-client.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('fmu-gateway/client as an external project sees it', () => {
  let dir: string;
  before(() => {
    if (!existsSync(join(root, 'dist', 'client', 'index.js'))) buildClient();
    dir = mkdtempSync(join(tmpdir(), 'fmu-client-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'fmu-gateway'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the JavaScript build with plain node and maps an unreachable gateway to REMOTE_UNAVAILABLE', () => {
    writeFileSync(
      join(dir, 'consumer.mjs'),
      `import { GatewayClient, isGatewayError } from 'fmu-gateway/client';
const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 3000, retries: 1, backoffMs: 10 });
try {
  await client.listLibrary();
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(JSON.stringify({ gateway: isGatewayError(e), code: e.code }));
} finally {
  await client.close();
}
`,
    );
    // A minimal environment: no tsx loader anywhere (NODE_OPTIONS unset).
    const r = spawnSync(process.execPath, ['consumer.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { gateway: true, code: 'REMOTE_UNAVAILABLE' });
  });

  it('typechecks a TypeScript consumer against the shipped declarations', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { GatewayClient, type SimulateCompleted } from 'fmu-gateway/client';
const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:8000', apiKey: 'k' });
export async function finalHeight(): Promise<number | null> {
  const run: SimulateCompleted = await client.simulate({ fmu_id: 'msl:BouncingBall', stop_time: 3 } as never);
  return run.summary.h?.final ?? null;
}
// @ts-expect-error simulate's result has no field "nonsense": the declarations are real, not any
export const wrong = (r: SimulateCompleted): number => r.nonsense;
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
