/**
 * Real PostgreSQL and Redis servers for the store tests, started on free loopback ports in
 * temporary folders and stopped afterwards. They come from Debian's packages (installed by
 * .ci/install-system-deps.sh); where a package is absent the caller skips with a printed note.
 *
 * Both run under `setpriv --pdeathsig SIGKILL`, so a test process that dies does not leave a
 * server behind. PostgreSQL refuses to run as root: as root it runs as `nobody`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
  /** Stops the server process (an outage), keeping its data and port for resume(). */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(base, v, 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

const hasSetpriv = (): boolean => spawnSync('setpriv', ['--version']).status === 0;

/** Why PostgreSQL cannot be started here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (postgresBin() === undefined) return 'PostgreSQL server binaries (Debian package postgresql) are not installed';
  if (!hasSetpriv()) return 'setpriv (util-linux) is not installed';
  return undefined;
}

export function redisMissing(): string | undefined {
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server (Debian package redis-server) is not installed';
  if (!hasSetpriv()) return 'setpriv (util-linux) is not installed';
  return undefined;
}

function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`${what} exited with ${child.exitCode} before listening`));
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, dir: string): () => Promise<void> {
  return async () => {
    await killChild(child, signal);
    rmSync(dir, { recursive: true, force: true });
  };
}

/** A server process that can be stopped and started again on its port and data (outage tests). */
function restartable(first: ChildProcess, launch: () => Promise<ChildProcess>, signal: NodeJS.Signals, dir: string) {
  let child = first;
  return {
    stop: async () => stopChild(child, signal, dir)(),
    pause: async () => killChild(child, signal),
    resume: async () => {
      child = await launch();
    },
  };
}

export async function startPostgres(): Promise<RunningServer> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'fmugw-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL will not run as root; the folder must belong to the user it runs as.
  const user = asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  if (asRoot) chownSync(dir, 65534, 65534);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  const init = spawnSync(
    'setpriv',
    [...user, join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'SIGKILL',
        ...user,
        join(bin, 'postgres'),
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=100',
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (log.length < 20_000) log += d.toString();
    });
    try {
      await waitForPort(port, child, 'postgres');
      // Listening precedes accepting connections by a moment (startup recovery); wait for that too.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], { env });
        if (r.status === 0) break;
        if (r.error !== undefined || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 100));
      }
    } catch (e) {
      await stopChild(child, 'SIGKILL', dir)();
      throw new Error(`${(e as Error).message}\n${log}`);
    }
    return child;
  };
  const child = await launch();
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, ...restartable(child, launch, 'SIGINT', dir) };
}

/** `persistent`: an append-only file, so pause()/resume() keeps the data (outage tests). */
export async function startRedis(opts: { persistent?: boolean } = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fmugw-redis-'));
  const port = await freePort();
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'SIGKILL',
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        opts.persistent === true ? 'yes' : 'no',
        '--daemonize',
        'no',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      await waitForPort(port, child, 'redis-server');
    } catch (e) {
      await stopChild(child, 'SIGKILL', dir)();
      throw e;
    }
    return child;
  };
  const child = await launch();
  return { url: `redis://127.0.0.1:${port}`, ...restartable(child, launch, 'SIGTERM', dir) };
}
