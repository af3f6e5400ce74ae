/**
 * Shared by the e2e tests: starts the real CLI (`node bin/fmu-gateway.js mcp` / `serve --port 0`)
 * with its data in a temporary folder, and connects the SDK's Client to it.
 */
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'fmu-gateway.js');

/** Environment of a gateway under test: its own data dir, one worker (so "the worker is freed" is observable). */
export function gatewayEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    FMU_GATEWAY_DATA_DIR: dataDir,
    FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache'),
    FMU_GATEWAY_DB_PATH: join(dataDir, 'db.sqlite3'),
    FMU_GATEWAY_POOL_SIZE: '1',
    SIM_TIMEOUT_SECONDS: '60',
    ...extra,
  };
}

export interface StdioGateway {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Errors the client transport reported (e.g. non-JSON on stdout). */
  transportErrors: Error[];
  close: () => Promise<void>;
}

export async function startStdioGateway(extraEnv: Record<string, string> = {}, extraArgs: string[] = []): Promise<StdioGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...extraArgs],
    env: gatewayEnv(dataDir, extraEnv),
    cwd: ROOT,
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const transportErrors: Error[] = [];
  const client = new Client({ name: 'fmu-gateway-e2e', version: '0.0.0' });
  await client.connect(transport);
  // Set after connect: Client.connect installs its own handlers on the transport.
  const onerror = transport.onerror;
  transport.onerror = (e) => {
    transportErrors.push(e);
    onerror?.(e);
  };
  return {
    client,
    transport,
    stderr: () => log,
    transportErrors,
    close: async () => {
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpGateway {
  url: string;
  /** The gateway's FMU_GATEWAY_DATA_DIR (a temporary folder, removed by close). */
  dataDir: string;
  child: ChildProcess;
  stderr: () => string;
  connect: () => Promise<Client>;
  close: () => Promise<void>;
}

/** Starts `serve --port 0` and waits for the URL line it prints on stderr. */
export async function startHttpGateway(
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
  /** An existing data folder (a restart): the caller owns it, close() leaves it. */
  opts: { dataDir?: string } = {},
): Promise<HttpGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-http-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--allow-unsandboxed', ...extraArgs], {
    cwd: ROOT,
    env: gatewayEnv(dataDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A serve that never came up must not outlive the test (it would keep the test file running).
      child.kill('SIGKILL');
      reject(new Error(`serve did not print its URL within 30 s:\n${log}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /MCP endpoint (http:\/\/\S+\/mcp)/.exec(log);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${log}`));
    });
  });
  const clients: Client[] = [];
  return {
    url,
    dataDir,
    child,
    stderr: () => log,
    connect: async () => {
      const client = new Client({ name: 'fmu-gateway-e2e-http', version: '0.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Parses result.csv text into a header and numeric rows. */
export function parseCsv(text: string): { header: string[]; rows: number[][] } {
  const lines = text.trim().split(/\r?\n/);
  const header = (lines.shift() ?? '').split(',').map((h) => h.replace(/^"|"$/g, ''));
  return { header, rows: lines.map((l) => l.split(',').map(Number)) };
}

/**
 * Closed-form speed of msl:DCMotor (defaults R = 1, L = 0.5, K = 0.01, J = 0.01) from rest under a
 * constant voltage V, no load: x = [i, w], x' = A x + u, x(t) = x_ss + expm(A t) (x0 - x_ss), with
 * expm of the 2x2 matrix by Sylvester's formula (distinct real eigenvalues for these parameters).
 */
export function dcMotorSpeed(p: { V: number; b: number; t: number; R?: number; L?: number; K?: number; J?: number }): number {
  const { V, b, t, R = 1, L = 0.5, K = 0.01, J = 0.01 } = p;
  const a11 = -R / L,
    a12 = -K / L,
    a21 = K / J,
    a22 = -b / J;
  const tr = a11 + a22;
  const det = a11 * a22 - a12 * a21;
  const disc = Math.sqrt(tr * tr - 4 * det);
  const l1 = (tr + disc) / 2;
  const l2 = (tr - disc) / 2;
  // x_ss = -A^-1 u with u = [V / L, 0].
  const u1 = V / L;
  const iSs = (-a22 * u1) / det;
  const wSs = (a21 * u1) / det;
  // d = x0 - x_ss = -x_ss; w(t) = w_ss + row 2 of expm(A t) d.
  const e1 = Math.exp(l1 * t);
  const e2 = Math.exp(l2 * t);
  const m21 = (e1 * a21 - e2 * a21) / (l1 - l2);
  const m22 = (e1 * (a22 - l2) - e2 * (a22 - l1)) / (l1 - l2);
  return wSs + m21 * -iSs + m22 * -wSs;
}

/**
 * A simulation that runs for tens of seconds (800 000 co-simulation steps, ~40 s here) so that a
 * next call finishing within a few seconds proves the cancelled job was really stopped.
 * Tests never let it finish.
 */
export const LONG_RUN = {
  fmu_id: 'msl:DCMotor',
  stop_time: 200_000,
  step: 0.25,
  interface: 'CS',
} as const;

/** Builds the library's Dahlquist model (dx/dt = -k x) into an FMU of our own to upload. */
export async function buildUploadFixture(dir: string): Promise<string> {
  const { buildFmu, LIBRARY_DIR } = await import('../../tools/fmu-builder.ts');
  const outFile = join(dir, 'Dahlquist-upload.fmu');
  await buildFmu({ modelDir: join(LIBRARY_DIR, 'models', 'Dahlquist'), fmiVersion: '2.0', outFile });
  return outFile;
}
