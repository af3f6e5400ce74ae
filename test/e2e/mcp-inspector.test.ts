/**
 * An external MCP client drives the stdio server: the MCP Inspector's CLI mode. The Inspector is
 * fetched by npx (pinned; cached after the first run) rather than a devDependency: it weighs
 * ~160 MB and declares Node >= 22, although its CLI mode runs fine on Node 20.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT } from './mcp-harness.ts';

const INSPECTOR = '@modelcontextprotocol/inspector@1.0.3';

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('MCP Inspector CLI against the stdio server', { timeout: 300_000 }, () => {
  it('calls list_library and gets structured content that matches the output schema', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-inspector-'));
    try {
      // The Inspector starts the server with a minimal environment: pass ours with -e.
      const r = await run('npx', [
        '-y',
        '--prefer-offline',
        INSPECTOR,
        '--cli',
        '-e',
        `FMU_GATEWAY_DATA_DIR=${dataDir}`,
        '-e',
        `FMU_GATEWAY_CACHE_DIR=${join(dataDir, 'cache')}`,
        '-e',
        'FMU_GATEWAY_POOL_SIZE=1',
        process.execPath,
        BIN,
        'mcp',
        '--method',
        'tools/call',
        '--tool-name',
        'list_library',
        '--tool-arg',
        'query=motor',
      ]);
      assert.equal(r.code, 0, `inspector failed:\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as {
        isError?: boolean;
        structuredContent?: { status: string; models: { id: string }[] };
        content: { type: string; text?: string }[];
      };
      assert.notEqual(out.isError, true);
      assert.equal(out.structuredContent?.status, 'ok');
      assert.ok(out.structuredContent?.models.some((m) => m.id === 'msl:DCMotor'));
      assert.match(out.content[0]?.text ?? '', /msl:DCMotor/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
