/**
 * What a refusal of admission control costs the gateway's one event loop: a real `serve` (SQLite
 * store, pool of 1, one place per key, two in total), main-thread CPU per request read from
 * /proc/<pid>/task/<pid>/schedstat (time on CPU: robust to a loaded machine, unlike wall time),
 * for a 404 (the floor: HTTP parse, routing, an error body), GET /health, a key at its bound
 * (503), a wrong key (401), and a wrong / a valid key while the gateway is full (503). Under
 * overload refusals arrive in bursts, and each one's cost delays every other request.
 *
 * Run: node --import tsx bench/admission-cpu.ts [--requests N] [--compare DIR]   (npm run bench -- admission)
 * --compare measures another checkout too (e.g. main), in the same run, printed beside.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveEnv } from './serve-env.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, compare: { type: 'string' } } });
const N = Number(args.requests);
const HERE = resolve(fileURLToPath(new URL('..', import.meta.url)));
const QUICK = { fmu_id: 'msl:BouncingBall', stop_time: 3 };
const LONG = { fmu_id: 'msl:DCMotor', stop_time: 200_000, step: 0.25, interface: 'CS' };
const WRONG = `fmugw_${'Q'.repeat(43)}`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Row {
  label: string;
  cpuMs: number;
  codes: string;
}

async function measureRoot(root: string): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-bench-admission-'));
  const env = serveEnv(dataDir, {
    FMU_GATEWAY_POOL_SIZE: '1',
    FMU_GATEWAY_QUEUE_PER_KEY: '1',
    FMU_GATEWAY_QUEUE_LENGTH: '1',
    SIM_TIMEOUT_SECONDS: '300',
  });
  const child = spawn(process.execPath, [join(root, 'bin', 'fmu-gateway.js'), 'serve', '--port', '0', '--allow-unsandboxed'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const holds = new AbortController();
  try {
    const base = await new Promise<string>((res, rej) => {
      let log = '';
      child.stderr.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-20_000);
        const m = /MCP endpoint (http:\/\/\S+)\/mcp/.exec(log);
        if (m?.[1] !== undefined) res(m[1]);
      });
      child.once('exit', (code) => rej(new Error(`serve exited with ${code}:\n${log}`)));
    });
    const cpuMs = () => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    const newKey = async () => ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
    const post = (key: string, body: unknown = QUICK, signal?: AbortSignal) =>
      fetch(`${base}/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(signal === undefined ? {} : { signal }),
      });
    /** Starts a long run of `key` and waits until it holds the key's place. */
    const hold = async (key: string) => {
      void post(key, LONG, holds.signal).catch(() => undefined);
      for (let i = 0; i < 300; i++) {
        const r = await post(key);
        const body = (await r.json()) as { error?: { data?: { scope?: string } } };
        if (r.status === 503 && body.error?.data?.scope === 'caller') return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('the long run never took its place');
    };
    const rows: Row[] = [];
    const measure = async (label: string, request: () => Promise<Response>) => {
      for (let i = 0; i < 50; i++) await (await request()).arrayBuffer(); // warm the path
      const codes = new Map<number, number>();
      const c0 = cpuMs();
      // 8 clients at once, as an overloaded gateway sees them.
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = w; i < N; i += 8) {
            const r = await request();
            await r.arrayBuffer();
            codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
          }
        }),
      );
      rows.push({ label, cpuMs: (cpuMs() - c0) / N, codes: [...codes].map(([s, n]) => (n === N ? String(s) : `${s}×${n}`)).join(' ') });
    };
    const [k1, k2, k3] = [await newKey(), await newKey(), await newKey()];
    for (let i = 0; i < 3; i++) await (await post(k1)).arrayBuffer(); // the worker is up
    await measure('404 (the floor)', () => fetch(`${base}/nope`));
    await measure('GET /health', () => fetch(`${base}/health`));
    await hold(k1);
    await measure('key at its bound', () => post(k1));
    await measure('wrong key (key bound only)', () => post(WRONG));
    await hold(k2);
    await measure('wrong key, gateway full', () => post(WRONG));
    await measure('valid key, gateway full', () => post(k3));
    return rows;
  } finally {
    holds.abort();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const roots = [HERE, ...(args.compare === undefined ? [] : [resolve(args.compare)])];
console.log(`${N} requests per row, 8 at once; load average before: ${load()}`);
const results: Row[][] = [];
for (const root of roots) results.push(await measureRoot(root));
console.log(`\n${'main-thread CPU per request'.padEnd(30)}${roots.map((r) => `${r.slice(-24).padStart(26)}  codes`.padEnd(44)).join('')}`);
for (let i = 0; i < (results[0]?.length ?? 0); i++) {
  const cells = results.map((rs) => {
    const r = rs[i] as Row;
    const floor = (rs[0] as Row).cpuMs;
    return `${`${r.cpuMs.toFixed(3)} ms (${(r.cpuMs / floor).toFixed(2)}× 404)`.padStart(26)}  ${r.codes}`.padEnd(44);
  });
  console.log(`${(results[0]?.[i] as Row).label.padEnd(30)}${cells.join('')}`);
}
console.log(`load average now: ${load()}`);
