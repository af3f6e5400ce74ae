/**
 * Records the stdio MCP server's answers to `initialize` (per protocol version a client may ask
 * for) and `tools/list` into build/cli/mcp-early.json, from the freshly built CLI bundle itself:
 * one `node build/cli/cli.mjs mcp` per version, early answers off, in an environment without the
 * variables that shape the listing (LISTING_ENV). `fmu-gateway mcp` serves them before its SDK
 * and tools have loaded (src/mcp/stdio-early.ts). Run by `npm run build` after tools/build-cli.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { EARLY_ANSWERS_FILE, LISTING_ENV, type EarlyAnswersFile } from '../src/mcp/stdio-early.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'build', 'cli', 'cli.mjs');

/** The environment of a recording (and of the live server a test compares it with): no LISTING_ENV variable. */
export function recordingEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    LANG: 'C.UTF-8',
    FMU_GATEWAY_DATA_DIR: dataDir,
    FMU_GATEWAY_MCP_EARLY: '0',
  };
  for (const name of LISTING_ENV) delete env[name];
  return env;
}

interface Answers {
  initialize: unknown;
  toolsList: unknown;
}

/** One live server: the answers to `initialize` (protocolVersion `version`) and to `tools/list`. */
export function liveAnswers(version: string, env: Record<string, string>, entry = CLI): Promise<Answers> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'mcp'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const got = new Map<number, unknown>();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mcp ${version}: no answers in 60 s; stderr: ${err}`));
    }, 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const msg = JSON.parse(out.slice(0, nl)) as { id?: number; result?: unknown; error?: unknown };
        out = out.slice(nl + 1);
        if (typeof msg.id !== 'number') continue;
        if (msg.result === undefined) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          reject(new Error(`mcp ${version}: answer ${msg.id} is an error: ${JSON.stringify(msg.error)}`));
          return;
        }
        got.set(msg.id, msg.result);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (got.has(1) && got.has(2)) resolve({ initialize: got.get(1), toolsList: got.get(2) });
      else reject(new Error(`mcp ${version}: exited ${code} without both answers; stderr: ${err}`));
    });
    const lines = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'build-mcp-early', version: '0' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    // Closing stdin ends the server once both are answered (src/mcp/stdio-transport.ts).
    child.stdin.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  });
}

export async function buildMcpEarly(): Promise<string> {
  const stamp = (JSON.parse(readFileSync(join(root, 'build', 'cli', 'stamp.json'), 'utf8')) as { stamp: string }).stamp;
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-mcp-early-'));
  try {
    const env = recordingEnv(dataDir);
    const initialize: Record<string, unknown> = {};
    let toolsList: unknown;
    for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
      const a = await liveAnswers(version, env);
      initialize[version] = a.initialize;
      if (toolsList !== undefined && JSON.stringify(toolsList) !== JSON.stringify(a.toolsList)) {
        throw new Error(`tools/list differs between protocol versions (${version}): record it per version`);
      }
      toolsList = a.toolsList;
    }
    const file: EarlyAnswersFile = {
      stamp,
      env: Object.fromEntries(LISTING_ENV.map((name) => [name, null])),
      initialize,
      toolsList,
    };
    const tmp = `${EARLY_ANSWERS_FILE}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(file)}\n`);
    renameSync(tmp, EARLY_ANSWERS_FILE);
    return EARLY_ANSWERS_FILE;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.stderr.write(`mcp early answers: ${await buildMcpEarly()}\n`);
  } catch (e) {
    // Without the recording `fmu-gateway mcp` still works: it answers once its server has loaded.
    process.stderr.write(`recording the MCP early answers failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!process.argv.includes('--if-possible')) process.exit(1);
  }
}
