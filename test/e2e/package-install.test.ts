/**
 * The package as a user gets it: packed once (`npm pack`), installed from the tarball into a fresh
 * project (`npm install <tarball>`, npm's warm cache) and globally into a temporary prefix
 * (`npm install -g --prefix`), both at once. Then, there and without the checkout's tsx,
 * TypeScript or esbuild: the CLI through npx runs a library model inside the bubblewrap sandbox,
 * an MCP client runs `simulate` over stdio through exactly the command the README's Claude
 * configuration gives, plain node imports `fmu-gateway` and `fmu-gateway/client`, and a
 * TypeScript consumer typechecks against the shipped declarations.
 *
 * The global prefix lies in a folder only its owner may enter (like npx's cache under /root):
 * bubblewrap, running as an unprivileged uid, cannot bind the package's files from there, so this
 * also proves the worker's files reach the sandbox wherever the package is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { findTools } from '../../src/runner/sandbox.ts';
import { cleanEnv, emptyProject, installTarball, packTarball, ROOT, type Packed } from '../../tools/measure-install.ts';
import { prerequisite } from '../helpers/prereq.ts';

const skip = prerequisite(
  'bwrap',
  findTools().bwrap === undefined ? 'bubblewrap is not installed (apt-get install bubblewrap)' : undefined,
);

interface SimulateJson {
  status: string;
  summary: { h: { final: number } };
  provenance: { isolation: string; fmu_id: string };
}

/** The README's Claude Desktop / Claude Code entry: `npx -y fmu-gateway mcp`. */
const README_MCP = { command: 'npx', args: ['-y', 'fmu-gateway', 'mcp'] };

describe('the packed package, installed from its tarball', { skip, timeout: 900_000 }, () => {
  let dir: string;
  let packed: Packed;
  let project: string;
  let prefix: string;
  const env = (name: string): Record<string, string> =>
    cleanEnv({ FMU_GATEWAY_DATA_DIR: join(dir, `data-${name}`), FMU_GATEWAY_POOL_SIZE: '1', SIM_TIMEOUT_SECONDS: '60' });

  before(async () => {
    const t0 = performance.now();
    dir = mkdtempSync(join(tmpdir(), 'fmu-gateway-pkg-'));
    chmodSync(dir, 0o755);
    packed = packTarball(dir);
    project = emptyProject(dir, 'project');
    const privateDir = join(dir, 'private');
    mkdirSync(privateDir, { mode: 0o700 });
    chmodSync(privateDir, 0o700);
    prefix = join(privateDir, 'prefix');
    const [local, global] = await Promise.all([
      installTarball(packed.tarball, { project }),
      installTarball(packed.tarball, { globalPrefix: prefix }),
    ]);
    process.stderr.write(
      `package-install: tarball ${(packed.bytes / 1e6).toFixed(2)} MB; npm install ${(local / 1000).toFixed(1)} s, ` +
        `npm install -g ${(global / 1000).toFixed(1)} s (in parallel); setup ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('ships built JavaScript, the declarations and the prebuilt library, and no sources, within 5 MB', () => {
    const files = new Set(packed.files);
    for (const f of [
      'bin/fmu-gateway.js',
      'bin/postinstall.js',
      'build/cli/cli.mjs',
      // The MCP handshake answers recorded from that bundle (src/mcp/stdio-early.ts).
      'build/cli/mcp-early.json',
      'build/runner/worker.mjs',
      'build/runner/archive-thread.mjs',
      'build/tools/build-library.mjs',
      'build/library/catalog.json',
      'build/library/BouncingBall/BouncingBall-fmi3.fmu',
      'library/models/BouncingBall/model.c',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/client/index.js',
      'dist/client/index.d.ts',
    ]) {
      assert.ok(files.has(f), `the tarball holds ${f}`);
    }
    const unwanted = packed.files.filter((f) => /^(src|test|tools|bench)\//.test(f) || /\.tmp$|worker-[0-9a-f]{16}\.mjs$/.test(f));
    assert.deepEqual(unwanted, [], 'no sources, tests or leftovers of a build');
    assert.ok(packed.bytes <= 5 * 1024 * 1024, `tarball ${packed.bytes} bytes`);
  });

  it('installs without the development tools and without a native build', () => {
    const nm = join(project, 'node_modules');
    assert.ok(existsSync(join(nm, 'fmu-gateway', 'build', 'cli', 'cli.mjs')));
    for (const dev of ['tsx', 'typescript', 'esbuild', 'sqlite3', 'node-gyp']) {
      assert.equal(existsSync(join(nm, dev)), false, `${dev} is not installed`);
    }
    assert.ok(existsSync(join(nm, 'libsql')), 'the SQLite driver ships prebuilt');
  });

  it('npx fmu-gateway simulate runs msl:BouncingBall inside the bubblewrap sandbox', () => {
    const r = spawnSync('npx', ['fmu-gateway', 'simulate', 'msl:BouncingBall', '--stop', '1', '--json'], {
      cwd: project,
      env: env('npx'),
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as SimulateJson;
    assert.equal(out.status, 'completed');
    assert.equal(out.provenance.fmu_id, 'msl:BouncingBall');
    assert.match(out.provenance.isolation, /^sandboxed \(.*\bbwrap\b.*\bnetwork-namespace\b/);
    assert.ok(out.summary.h.final > 0 && out.summary.h.final < 1, `final height ${out.summary.h.final}`);
  });

  it('an MCP client runs simulate over stdio through the README command (npx -y fmu-gateway mcp)', async () => {
    const isolation = await simulateOverMcp(README_MCP.command, README_MCP.args, project, env('mcp'));
    assert.match(isolation, /^sandboxed \(.*\bbwrap\b/);
  });

  it('plain node imports fmu-gateway and fmu-gateway/client (no TypeScript loader)', () => {
    const script = `
const main = await import('fmu-gateway');
const { GatewayClient, isGatewayError } = await import('fmu-gateway/client');
const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 3000, retries: 1, backoffMs: 10 });
let code;
try { await client.listLibrary(); } catch (e) { code = isGatewayError(e) ? e.code : String(e); } finally { await client.close(); }
console.log(JSON.stringify({ simulate: typeof main.simulate, runSimulation: typeof main.runSimulation, code }));
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: project,
      env: env('import'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { simulate: 'function', runSimulation: 'function', code: 'REMOTE_UNAVAILABLE' });
  });

  it('a TypeScript consumer typechecks against the shipped declarations', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { GatewayClient, type SimulateCompleted } from 'fmu-gateway/client';
import { simulate } from 'fmu-gateway';
const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:8000', apiKey: 'k' });
export async function finalHeight(): Promise<number | null> {
  const run: SimulateCompleted = await client.simulate({ fmu_id: 'msl:BouncingBall', stop_time: 3 } as never);
  return run.summary.h?.final ?? null;
}
export const local = (): Promise<SimulateCompleted> => simulate({ fmu_id: 'msl:BouncingBall', stop_time: 1 });
// @ts-expect-error simulate's result has no field "nonsense": the declarations are real, not any
export const wrong = (r: SimulateCompleted): number => r.nonsense;
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
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
    // The checkout's compiler: the consumer's project has none (TypeScript is no dependency of ours).
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], {
      cwd: project,
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('installed globally (in a folder the sandbox user cannot enter): the CLI and MCP run sandboxed', async () => {
    const bin = join(prefix, 'bin', 'fmu-gateway');
    const r = spawnSync(bin, ['simulate', 'msl:BouncingBall', '--stop', '1', '--json'], {
      env: env('global'),
      encoding: 'utf8',
      timeout: 180_000,
      cwd: dir,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as SimulateJson;
    assert.equal(out.status, 'completed');
    assert.match(out.provenance.isolation, /^sandboxed \(.*\bbwrap\b/);
    // The README's configuration for a global install: command "fmu-gateway", args ["mcp"].
    const isolation = await simulateOverMcp(bin, ['mcp'], dir, env('global-mcp'));
    assert.match(isolation, /^sandboxed \(.*\bbwrap\b/);
  });
});

/** Connects the MCP SDK's client over stdio to `command args`, calls simulate, returns the run's isolation. */
async function simulateOverMcp(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const transport = new StdioClientTransport({ command, args, cwd, env, stderr: 'pipe' });
  let log = '';
  transport.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const client = new Client({ name: 'package-install-e2e', version: '0.0.0' });
  try {
    await client.connect(transport);
    const r = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 1 } }, undefined, {
      timeout: 120_000,
    });
    assert.notEqual(r.isError, true, `${JSON.stringify(r.content)}\n${log}`);
    const s = r.structuredContent as { status: string; provenance: { isolation: string } };
    assert.equal(s.status, 'completed', log);
    return s.provenance.isolation;
  } finally {
    await client.close();
  }
}
