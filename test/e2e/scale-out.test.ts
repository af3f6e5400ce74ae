/**
 * Scale-out, as separate processes on loopback: a real Redis (BullMQ queue, shared rate limits and
 * the account store, with AOF persistence like a production queue), an S3-compatible server
 * (s3rver, the stand-in for a cloud object store this machine cannot reach; the AWS SDK talks to it
 * for real), two `serve` API nodes behind a real nginx round-robin, and two `worker` nodes, every
 * node with its own data directory. Payments are on (Stripe stand-in), so "paid once" is checked
 * on real payment tokens.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort, redisMissing } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { BIN, buildUploadFixture, gatewayEnv, ROOT } from './mcp-harness.ts';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const nginxMissing = (): string | undefined =>
  spawnSync(NGINX, ['-v']).status === 0 ? undefined : 'nginx is not installed (Debian package nginx)';
const skip = prerequisite('Redis', redisMissing()) || prerequisite('nginx', nginxMissing());

const BUCKET = 'fmu-gateway-e2e';
const KEYS_PER_HOUR = 6;

interface Proc {
  child: ChildProcess;
  log: () => string;
  dataDir: string;
}

function waitFor(child: ChildProcess, pattern: RegExp, what: string, getLog: () => string, ms = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not get ready within ${ms} ms:\n${getLog()}`)), ms);
    const check = (): void => {
      const m = pattern.exec(getLog());
      if (m !== null) {
        clearTimeout(timer);
        child.stderr?.off('data', check);
        resolve(m);
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${getLog()}`));
    });
    check();
  });
}

function spawnLogged(cmd: string, args: string[], env: Record<string, string>): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  return { child, log: () => log };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

type Structured = Record<string, unknown> & { status: string };
const structured = (r: unknown): Structured => (r as CallToolResult).structuredContent as Structured;

describe('scale-out: nginx → 2 serve nodes, BullMQ on Redis, 2 worker nodes, S3', { skip, timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'fmu-gw-scale-'));
  let redisPort = 0;
  let redis: { child: ChildProcess; log: () => string } | undefined;
  let s3: { close(): Promise<void> } | undefined;
  let s3Url = '';
  let stripe: StripeStandin;
  const workers = new Map<string, Proc>();
  const serves: (Proc & { url: string })[] = [];
  let nginx: ChildProcess | undefined;
  let lb = '';
  let fixture = '';

  const startRedis = async (): Promise<void> => {
    const dir = join(root, 'redis');
    mkdirSync(dir, { recursive: true });
    const r = spawnLogged(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
      { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    );
    redis = r;
    // redis-server logs to stdout; poll the port instead.
    for (let i = 0; i < 100; i++) {
      if (
        spawnSync('redis-cli', ['-p', String(redisPort), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG'
      )
        return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('redis-server did not start');
  };

  const scaleEnv = (dataDir: string, name: string, extra: Record<string, string> = {}): Record<string, string> =>
    gatewayEnv(dataDir, {
      FMU_GATEWAY_QUEUE_URL: `redis://127.0.0.1:${redisPort}`,
      FMU_GATEWAY_BLOB_URL: `s3://${BUCKET}?endpoint=${encodeURIComponent(s3Url)}&region=us-east-1&forcePathStyle=true`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      FMU_GATEWAY_NODE_NAME: name,
      FMU_GATEWAY_QUEUE_LOCK_SECONDS: '2',
      FMU_GATEWAY_POOL_SIZE: '1',
      NODE_NO_WARNINGS: '1',
      ...extra,
    });

  const startWorker = async (name: string): Promise<Proc> => {
    const dataDir = mkdtempSync(join(root, `${name}-`));
    const p = spawnLogged(process.execPath, [BIN, 'worker', '--allow-unsandboxed'], scaleEnv(dataDir, name));
    await waitFor(p.child, /fmu-gateway worker: node \S+ ready/, `worker ${name}`, p.log);
    const proc = { ...p, dataDir };
    workers.set(name, proc);
    return proc;
  };

  const startServe = async (name: string): Promise<Proc & { url: string }> => {
    const dataDir = mkdtempSync(join(root, `${name}-`));
    const p = spawnLogged(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--allowed-host', '127.0.0.1'],
      scaleEnv(dataDir, name, {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
        KEY_CREATION_PER_HOUR: String(KEYS_PER_HOUR),
      }),
    );
    const m = await waitFor(p.child, /MCP endpoint (http:\/\/\S+)\/mcp/, `serve ${name}`, p.log);
    return { ...p, dataDir, url: m[1] as string };
  };

  const rest = async (base: string, method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) => {
    // Our own contract is under /v2 (the root paths answer in the original gateway's shapes).
    const res = await fetch(`${base}${path === '/health' ? path : `/v2${path}`}`, {
      method,
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: Record<string, unknown> & { error?: { code: string } } = {};
    try {
      json = text === '' ? {} : (JSON.parse(text) as typeof json);
    } catch {
      // CSV
    }
    return { status: res.status, headers: res.headers, text, body: json };
  };

  /** A paid simulate through `base`: 402 → the human pays → redeem → run with the token. */
  const paidSimulate = async (base: string, key: string, request: Record<string, unknown>) => {
    const unpaid = await rest(base, 'POST', '/simulate', key, request);
    assert.equal(unpaid.status, 402, unpaid.text);
    const sid = unpaid.body.session_id as string;
    stripe.markPaid(sid);
    const redeemed = await rest(base, 'GET', `/payments/checkout/${sid}`, key);
    assert.equal(redeemed.status, 200, redeemed.text);
    const token = redeemed.body.payment_token as string;
    return { token, run: rest(base, 'POST', '/simulate', key, { ...request, payment_token: token }) };
  };

  /**
   * Pays for a sweep over MCP: the unpaid call is refused unrun with the checkout of the whole
   * sweep's price; the human pays; the token is redeemed over REST (any API node).
   */
  const paySweep = async (client: Client, key: string, args: Record<string, unknown>): Promise<string> => {
    const unpaid = await client.callTool({ name: 'sweep', arguments: args });
    assert.equal(unpaid.isError, true, 'an unpaid sweep is refused');
    const sid = /"session_id":"([^"]+)"/.exec(JSON.stringify(unpaid.structuredContent ?? unpaid.content))?.[1];
    assert.ok(sid !== undefined, JSON.stringify(unpaid).slice(0, 500));
    stripe.markPaid(sid);
    const redeemed = await rest(lb, 'GET', `/payments/checkout/${sid}`, key);
    assert.equal(redeemed.status, 200, redeemed.text);
    return redeemed.body.payment_token as string;
  };

  const mcpClient = async (key: string, base = lb): Promise<Client> => {
    const client = new Client({ name: 'scale-e2e', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
    );
    return client;
  };

  const s3Meta = async (runId: string): Promise<{ provenance: { executed_on: string } }> => {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const c = new S3Client({
      endpoint: s3Url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const out = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: `runs/${runId}/meta.json` }));
      return JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString()) as {
        provenance: { executed_on: string };
      };
    } finally {
      c.destroy();
    }
  };

  let key = '';

  before(async () => {
    redisPort = await freePort();
    await startRedis();
    const { default: S3rver } = await import('s3rver');
    const server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: join(root, 's3'),
      configureBuckets: [{ name: BUCKET }],
    });
    const addr = (await server.run()) as { port: number };
    s3 = server;
    s3Url = `http://127.0.0.1:${addr.port}`;
    stripe = await startStripeStandin();
    fixture = await buildUploadFixture(root);
    await Promise.all([startWorker('worker-a'), startWorker('worker-b')]);
    serves.push(...(await Promise.all([startServe('api-a'), startServe('api-b')])));
    const port = await freePort();
    const prefix = join(root, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const upstreams = serves.map((s) => `server ${new URL(s.url).host};`).join(' ');
    writeFileSync(
      join(prefix, 'nginx.conf'),
      `worker_processes 1; pid ${prefix}/nginx.pid; error_log ${prefix}/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream gateway { ${upstreams} }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://gateway; proxy_http_version 1.1; proxy_set_header Host $http_host;
      proxy_set_header Connection ""; proxy_buffering off; proxy_request_buffering off; proxy_read_timeout 300s;
    }
  }
}
`,
    );
    nginx = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    lb = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${lb}/health`).catch(() => undefined))?.status === 200) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const k = await rest(lb, 'POST', '/keys', undefined, {});
    assert.equal(k.status, 201, k.text);
    key = k.body.key as string;
  });

  after(async () => {
    if (nginx !== undefined) await stop(nginx, 'SIGQUIT');
    await Promise.all([...serves, ...workers.values()].map((p) => stop(p.child)));
    await stripe?.close();
    await s3?.close();
    if (redis !== undefined) await stop(redis.child);
    rmSync(root, { recursive: true, force: true });
  });

  it('nginx round-robins both API nodes; /health reports the queue, the worker nodes and the blob store', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const h = await rest(lb, 'GET', '/health');
      assert.equal(h.status, 200);
      const scale = h.body.scale as { node: string; queue: { ok: boolean; workers: number }; blobs: { kind: string; ok: boolean } };
      names.add(scale.node);
      assert.equal(scale.queue.ok, true);
      assert.equal(scale.queue.workers, 2, 'both worker nodes are connected');
      assert.deepEqual([scale.blobs.kind, scale.blobs.ok], ['s3', true]);
    }
    assert.deepEqual([...names].sort(), ['api-a', 'api-b']);
  });

  it('upload via node A, simulate via node B, read the result and the CSV (with Range) via node A', async () => {
    const [a, b] = serves as [Proc & { url: string }, Proc & { url: string }];
    const baseA = a.url;
    const baseB = b.url;
    const form = new FormData();
    form.append('file', new Blob([readFileSync(fixture)]), 'Dahlquist.fmu');
    const up = await rest(baseA, 'POST', '/fmus', key, form);
    assert.equal(up.status, 201, up.text);
    const fmuId = (up.body.fmu_id ?? up.body.id) as string;
    assert.match(fmuId, /^sha256:[0-9a-f]{64}$/);
    assert.ok(!existsSync(join(b.dataDir, 'fmus', `${fmuId.slice(7)}.fmu`)), 'node B has no copy of its own before the run');

    const { run } = await paidSimulate(baseB, key, { fmu_id: fmuId, stop_time: 2, step: 0.01, start_values: { k: 2 } });
    const done = await run;
    assert.equal(done.status, 200, done.text);
    const runId = done.body.run_id as string;
    const prov = done.body.provenance as { executed_on: string };
    assert.match(prov.executed_on, /^worker:worker-[ab]$/);

    const info = await rest(baseA, 'GET', `/runs/${runId}`, key);
    assert.equal(info.status, 200, info.text);
    const csv = await rest(baseA, 'GET', `/runs/${runId}/result.csv`, key);
    assert.equal(csv.status, 200);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, 202, 'header + 201 rows');
    const last = (lines.at(-1) as string).split(',').map(Number);
    assert.ok(Math.abs((last[1] as number) - Math.exp(-4)) < 1e-3 * Math.exp(-4), `x(2) = e^-4, got ${last[1]}`);
    const ranged = await rest(baseA, 'GET', `/runs/${runId}/result.csv`, key, undefined, { range: 'bytes=10-99' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.text, Buffer.from(csv.text).subarray(10, 100).toString(), 'the range is exactly those bytes');
  });

  it('a 40-run sweep spreads over both worker nodes; every run reads back through either API node', async () => {
    const client = await mcpClient(key);
    try {
      const values = Array.from({ length: 40 }, (_, i) => 0.5 + i * 0.1);
      const sweepArgs = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, parameters: [{ name: 'k', values }] };
      // Payments are on: a sweep is paid like its runs (all its rows, once), or refused unrun.
      const token = await paySweep(client, key, sweepArgs);
      const res = await client.callTool({ name: 'sweep', arguments: { ...sweepArgs, payment_token: token } }, undefined, {
        timeout: 240_000,
      });
      const out = structured(res) as Structured & { completed: number; runs: { run_id: string; start_values: { k: number } }[] };
      assert.equal(
        out.completed,
        40,
        JSON.stringify(out.runs.filter((r) => (r as { status?: string }).status !== 'completed')) +
          serves
            .map((s) =>
              s
                .log()
                .split('\n')
                .filter((l) => l.includes('malformed'))
                .join('\n'),
            )
            .join('\n'),
      );
      const nodes = new Map<string, number>();
      for (const r of out.runs) {
        const meta = await s3Meta(r.run_id);
        nodes.set(meta.provenance.executed_on, (nodes.get(meta.provenance.executed_on) ?? 0) + 1);
        const slice = structured(
          await client.callTool({ name: 'get_result', arguments: { run_id: r.run_id, columns: ['x'], format: 'json' } }),
        ) as Structured & { data?: { x?: number[] } };
        assert.equal(slice.status, 'ok', JSON.stringify(slice).slice(0, 500));
        const x = slice.data?.x;
        assert.ok(Array.isArray(x) && x.length === 101, JSON.stringify(slice).slice(0, 500));
        const final = x.at(-1) as number;
        assert.ok(
          Math.abs(final - Math.exp(-r.start_values.k)) < 1e-3 * Math.exp(-r.start_values.k),
          `run k=${r.start_values.k}: ${final}`,
        );
      }
      assert.deepEqual([...nodes.keys()].sort(), ['worker:worker-a', 'worker:worker-b'], JSON.stringify([...nodes]));
    } finally {
      await client.close();
    }
  });

  it('a worker node SIGKILLed mid-run: the run completes on the other node, one usage record, the token spent once', async () => {
    // Another key, so its usage holds only this run.
    const k = await rest(lb, 'POST', '/keys', undefined, {});
    assert.equal(k.status, 201, k.text);
    const payer = k.body.key as string;
    const marks = new Map([...workers].map(([name, p]) => [name, p.log().length]));
    const request = { fmu_id: 'msl:DCMotor', stop_time: 12_000, step: 0.25, interface: 'CS' };
    const { token, run } = await paidSimulate(lb, payer, request);
    let victim: string | undefined;
    for (let i = 0; i < 300 && victim === undefined; i++) {
      for (const [name, p] of workers)
        if (
          p
            .log()
            .slice(marks.get(name) ?? 0)
            .includes('"job started"')
        )
          victim = name;
      if (victim === undefined) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(victim !== undefined, 'a worker node took the job');
    const killed = workers.get(victim) as Proc;
    await stop(killed.child, 'SIGKILL');
    const done = await run;
    assert.equal(done.status, 200, done.text);
    const survivor = [...workers.keys()].find((n) => n !== victim) as string;
    assert.equal((done.body.provenance as { executed_on: string }).executed_on, `worker:${survivor}`);
    assert.ok(
      !killed
        .log()
        .slice(marks.get(victim) ?? 0)
        .includes('"job completed"'),
      'the killed node never finished it',
    );

    const usage = await rest(lb, 'GET', '/usage', payer);
    assert.equal(usage.status, 200, usage.text);
    const records = usage.body.records as { run_id?: string; status: string }[];
    assert.equal(records.length, 1, JSON.stringify(records));
    assert.equal(records[0]?.run_id, done.body.run_id);
    assert.equal(records[0]?.status, 'completed');
    const reuse = await rest(lb, 'POST', '/simulate', payer, { ...request, stop_time: 1, payment_token: token });
    assert.equal(reuse.body.error?.code, 'PAYMENT_TOKEN_USED', 'the token was spent exactly once');
    // Back to two worker nodes for what follows.
    workers.delete(victim);
    await startWorker(victim);
  });

  it('a Redis restart mid-sweep: every run completes or fails with a code, and every acknowledged run reads back', async () => {
    const client = await mcpClient(key);
    try {
      const marks = new Map([...workers].map(([name, p]) => [name, p.log().length]));
      const values = Array.from({ length: 16 }, (_, i) => 1 + i * 0.05);
      const sweepArgs = { fmu_id: 'msl:DCMotor', stop_time: 1_500, step: 0.25, interface: 'CS', parameters: [{ name: 'R', values }] };
      const token = await paySweep(client, key, sweepArgs);
      const sweeping = client.callTool(
        {
          name: 'sweep',
          arguments: { ...sweepArgs, payment_token: token },
        },
        undefined,
        { timeout: 240_000 },
      );
      // Restart once a few runs have finished.
      const finished = (): number =>
        [...workers].reduce(
          (n, [name, p]) =>
            n +
            (p
              .log()
              .slice(marks.get(name) ?? 0)
              .match(/"job completed"/g)?.length ?? 0),
          0,
        );
      for (let i = 0; i < 600 && finished() < 3; i++) await new Promise((res) => setTimeout(res, 50));
      assert.ok(finished() >= 3, 'runs were finishing before the restart');
      await stop((redis as { child: ChildProcess }).child);
      await new Promise((res) => setTimeout(res, 500));
      await startRedis();
      const out = structured(await sweeping) as Structured & {
        total: number;
        completed: number;
        runs: { status: string; run_id?: string; error?: { code: string } }[];
      };
      assert.equal(out.total, 16);
      const { ERROR_CODES } = await import('../../src/errors.ts');
      for (const r of out.runs) {
        if (r.status === 'completed') {
          assert.ok(r.run_id !== undefined);
          const slice = structured(
            await client.callTool({ name: 'get_result', arguments: { run_id: r.run_id, columns: ['w'], format: 'json' } }),
          );
          assert.equal(slice.status, 'ok', `acknowledged run ${r.run_id} reads back: ${JSON.stringify(slice).slice(0, 300)}`);
        } else {
          assert.ok((ERROR_CODES as readonly string[]).includes(r.error?.code ?? ''), JSON.stringify(r));
        }
      }
      assert.ok(out.completed > 0, JSON.stringify(out.runs.map((r) => r.error?.code ?? r.status)));
    } finally {
      await client.close();
    }
  });

  it('MCP cancel reaches the worker node running the job and kills its worker process', async () => {
    const request = { fmu_id: 'msl:DCMotor', stop_time: 200_000, step: 0.25, interface: 'CS' };
    const unpaid = await rest(lb, 'POST', '/simulate', key, request);
    assert.equal(unpaid.status, 402, unpaid.text);
    stripe.markPaid(unpaid.body.session_id as string);
    const token = (await rest(lb, 'GET', `/payments/checkout/${unpaid.body.session_id as string}`, key)).body.payment_token as string;
    // Straight to one API node: the cancel notification is its own POST, and the node that took
    // the call is the one that knows it (see the report: cross-node routing of cancels is not done).
    const client = await mcpClient(key, (serves[0] as Proc & { url: string }).url);
    try {
      const marks = new Map([...workers].map(([name, p]) => [name, p.log().length]));
      const abort = new AbortController();
      const call = client.callTool({ name: 'simulate', arguments: { ...request, payment_token: token } }, undefined, {
        signal: abort.signal,
      });
      const since = (name: string): string => (workers.get(name) as Proc).log().slice(marks.get(name) ?? 0);
      let runner: string | undefined;
      for (let i = 0; i < 400 && runner === undefined; i++) {
        runner = [...workers.keys()].find((n) => since(n).includes('"job started"'));
        if (runner === undefined) await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(runner !== undefined, 'a worker node took the job');
      abort.abort();
      await assert.rejects(call);
      for (let i = 0; i < 200 && !since(runner).includes('"job cancelled"'); i++) await new Promise((res) => setTimeout(res, 50));
      assert.ok(since(runner).includes('"job cancelled"'), since(runner));
      // The worker process was killed: the job failed as CANCELLED on that node, well before its 200 000 s of model time.
      for (let i = 0; i < 200 && !since(runner).includes('"job failed"'); i++) await new Promise((res) => setTimeout(res, 50));
      assert.match(since(runner), /"job failed".*CANCELLED/);
      assert.ok(!since(runner).includes('"job completed"'));
    } finally {
      await client.close();
    }
  });

  it('key creation is limited across both API nodes together (limits shared through Redis)', async () => {
    // Two keys were made above; KEYS_PER_HOUR in all, whichever node nginx picks.
    let made = 0;
    let refused: { status: number; body: { error?: { code: string } } } | undefined;
    for (let i = 0; i < KEYS_PER_HOUR + 2 && refused === undefined; i++) {
      const r = await rest(lb, 'POST', '/keys', undefined, {});
      if (r.status === 201) made++;
      else refused = r;
    }
    assert.equal(made, KEYS_PER_HOUR - 2);
    assert.equal(refused?.status, 429);
    assert.equal(refused?.body.error?.code, 'RATE_LIMITED');
  });
});
