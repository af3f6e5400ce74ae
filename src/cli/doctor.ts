/**
 * `fmu-gateway doctor [--json]`: what isolation simulations get on this machine. Runs the sandbox
 * self-test, then proves it live with diagnostic jobs in real workers: a probe (network
 * connection to a listener of ours, a write outside the private /tmp), a deliberate crash, and an
 * allocation past the memory limit. Says how the memory limit is enforced (memory cgroup v2/v1,
 * or RLIMIT_AS + sampling), as /health does.
 * Exit code 0 when sandboxed, 1 when only process isolation is available.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectCompiler } from '../fmi/source-build.ts';
import { toGatewayError } from '../errors.ts';
import { createWorkerPool } from '../runner/pool.ts';
import { findTools, PROJECT_ROOT } from '../runner/sandbox.ts';
import type { IsolationReport } from '../runner/types.ts';
import { loadConfig } from '../config.ts';
import { createRemoteClient } from '../remote/index.ts';
import type { RemoteStatus } from '../schemas/remote.ts';
import { remoteStatus } from '../service/remote-status.ts';
import { libraryAvailability } from '../library/availability.ts';
import { workerRuntime } from '../runner/worker-bundle.ts';

const DOCTOR_MEMORY_MB = 512;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function liveChecks(cacheDir: string): Promise<IsolationReport & { checks: Check[] }> {
  const pool = createWorkerPool({ size: 1, timeoutMs: 5000, memoryMb: DOCTOR_MEMORY_MB, cacheDir, sandbox: 'auto', reuseIdleMs: 0 });
  const checks: Check[] = [];
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  let connections = 0;
  try {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const outside = join(PROJECT_ROOT, `.doctor-probe-${process.pid}`);
    const t0 = performance.now();
    try {
      const probe = (await pool.runDiagnostic({ kind: 'diagnostic', name: 'probe', connectPort: port, writePath: outside })) as {
        connect: string;
        write: string;
      };
      checks.push({ name: 'worker start + job', ok: true, detail: `${(performance.now() - t0).toFixed(0)} ms` });
      checks.push({
        name: 'no network',
        ok: connections === 0 && probe.connect !== 'connected',
        detail: `connect to the host's 127.0.0.1:${port}: ${probe.connect}`,
      });
      // Judged by the effect on the host: with the checkout under /tmp the probe's path is inside
      // the worker's private /tmp, where a write succeeds and never reaches the host's file.
      const reachedHost = existsSync(outside);
      const privateTmp = probe.write === 'written' && !reachedHost;
      checks.push({
        name: 'no writes outside /tmp',
        ok: !reachedHost,
        detail: `write into the project: ${privateTmp ? "written to the worker's private /tmp only (not on the host)" : probe.write}`,
      });
      if (reachedHost) rmSync(outside, { force: true });
    } catch (e) {
      checks.push({ name: 'worker start + job', ok: false, detail: toGatewayError(e).message });
    }
    try {
      await pool.runDiagnostic({ kind: 'diagnostic', name: 'crash', signal: 'SIGSEGV' });
      checks.push({ name: 'crash contained', ok: false, detail: 'the crash job returned normally' });
    } catch (e) {
      const g = toGatewayError(e);
      checks.push({ name: 'crash contained', ok: g.code === 'FMU_CRASHED', detail: `${g.code} (${String(g.data?.signal ?? '')})` });
    }
    try {
      await pool.runDiagnostic({ kind: 'diagnostic', name: 'allocate', mb: 2 * DOCTOR_MEMORY_MB });
      checks.push({
        name: 'memory limit holds',
        ok: false,
        detail: `${2 * DOCTOR_MEMORY_MB} MiB allocated against a ${DOCTOR_MEMORY_MB} MiB limit`,
      });
    } catch (e) {
      const g = toGatewayError(e);
      checks.push({
        name: 'memory limit holds',
        ok: g.code === 'SIMULATION_OUT_OF_MEMORY',
        detail: `${2 * DOCTOR_MEMORY_MB} MiB against ${DOCTOR_MEMORY_MB} MiB: ${g.code} (${pool.isolation.memory?.mechanism ?? 'no mechanism'})`,
      });
    }
    return { ...pool.isolation, checks };
  } finally {
    server.close();
    await pool.close();
  }
}

const USAGE = `Usage: fmu-gateway doctor [--json]
  Checks the C compiler and the worker sandbox, then runs a network/write probe and a crash in a
  real worker. Exit code 0 when simulations run sandboxed, 1 otherwise.
  --json                 print the report as JSON
  -h, --help             this text
`;

export async function runDoctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gateway-doctor-'));
  try {
    const tools = findTools();
    // Needed to build the library (npm install) and sources-only FMUs.
    const compiler = await detectCompiler().then(
      (cc) => cc,
      (e: unknown) => `missing (${toGatewayError(e).message})`,
    );
    const report = await liveChecks(dir);
    // The built-in msl: models: prebuilt binaries for this platform, or what building them needs.
    const library = libraryAvailability(undefined, compiler.startsWith('missing') ? false : compiler);
    let worker: string;
    try {
      const rt = workerRuntime();
      worker = `${rt.nodeArgs.at(-1) ?? ''} (files bound from ${rt.source})`;
    } catch (e) {
      worker = `cannot start: ${toGatewayError(e).message}`;
    }
    // FMU_GATEWAY_URL (modes remote / auto): does the remote gateway answer?
    const config = loadConfig();
    const client = createRemoteClient(config);
    const remote = await remoteStatus({ config, ...(client !== undefined ? { remote: client } : {}) }, 10_000);
    await client?.close();
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify({ compiler, library, worker, tools, ...report, remote }, null, 2)}\n`);
    } else {
      const lines = [
        `C compiler: ${compiler}`,
        `built-in library (msl:): ${library.ready ? 'ready' : 'NOT ready'}: ${library.detail}`,
        `worker: ${worker}`,
        `isolation: ${report.level}`,
        `tools: bwrap ${tools.bwrap ?? 'missing'}, prlimit ${tools.prlimit ?? 'missing'}, setpriv ${tools.setpriv ?? 'missing'}`,
        `features: ${report.features.join(', ')}`,
        `memory limit: ${report.memory === undefined ? 'none' : `${report.memory.mechanism}, ${report.memory.limit_mb} MiB per worker (${report.memory.detail})`}`,
        `remote gateway (${remote.mode} mode): ${describeRemote(remote)}`,
        ...report.missing.map((m) => `missing: ${m}`),
        ...report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return report.level === 'sandboxed' && report.checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeRemote(r: RemoteStatus): string {
  if (!r.configured) return 'none configured (FMU_GATEWAY_URL)';
  if (r.reachable === true) return `${r.url ?? ''} reachable in ${r.latency_ms ?? '?'} ms (status ${r.remote_status ?? '?'})`;
  return `${r.url ?? ''} NOT reachable: ${r.error?.code ?? ''} ${r.error?.message ?? ''}`;
}
