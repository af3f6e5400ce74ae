/**
 * `fmu-gateway worker`: a worker node of the job queue (FMU_GATEWAY_QUEUE_URL). It takes
 * simulate jobs, sweep runs and sources-only compiles from BullMQ and runs them in this machine's
 * sandboxed worker pool, exactly as `serve` does on one machine: same limits (SIM_TIMEOUT_SECONDS,
 * SIM_MEMORY_MB, MAX_OUTPUT_ROWS), same codes. Its data directory is its own cache (FMUs and
 * compiled binaries by sha256, result files on their way to the blob store).
 * Prints one line on stderr when ready (tests and scripts wait for it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { openFmuAsync, startParseThread } from '../fmi/archive-async.ts';
import { ensureBinary } from '../fmi/source-build.ts';
import { createCatalog } from '../library/catalog.ts';
import { createWorkerPool } from '../runner/pool.ts';
import { createStderrLogger } from '../service/context.ts';
import { archiveLimits } from '../service/fmu-resolver.ts';
import { isolationLabel } from '../service/simulate-result.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';

const USAGE = `fmu-gateway worker — run queued simulations (FMU_GATEWAY_QUEUE_URL) on this machine

Environment:
  FMU_GATEWAY_QUEUE_URL   redis://… of the job queue (required; the same for every node)
  FMU_GATEWAY_BLOB_URL    s3://bucket?endpoint=…&region=…&forcePathStyle=true (shared FMUs and results)
  FMU_GATEWAY_NODE_NAME   this node's name in provenance (default <hostname>-<pid>)
  FMU_GATEWAY_POOL_SIZE   worker processes = jobs at once (default: CPU count)

Options:
  --allow-unsandboxed    run workers without the OS sandbox when it is unavailable (process isolation only)
  --no-compile-sources   do not compile sources-only FMUs
  -h, --help             this text
`;

/** sha256 → path of every built-in library FMU on this node: library runs never touch the blob store. */
function libraryIndex(): Map<string, string> {
  const index = new Map<string, string>();
  const catalog = createCatalog();
  for (const entry of catalog.list(undefined, 100_000)) {
    for (const v of entry.fmi_versions) {
      try {
        const { fmuPath } = catalog.resolve(entry.id, v);
        index.set(createHash('sha256').update(readFileSync(fmuPath)).digest('hex'), fmuPath);
      } catch {
        // Not built on this node: such a job fetches the FMU from the blob store, or fails NOT_FOUND.
      }
    }
  }
  return index;
}

export async function runWorkerCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'allow-unsandboxed': { type: 'boolean', default: false },
        'no-compile-sources': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`fmu-gateway worker: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig();
  const { queueUrl, blobUrl, nodeName, lockMs } = config.scale;
  if (queueUrl === undefined) {
    throw new GatewayError('BAD_REQUEST', 'fmu-gateway worker needs FMU_GATEWAY_QUEUE_URL (redis://…), the queue the serve nodes use', {
      hint: 'Set FMU_GATEWAY_QUEUE_URL (and FMU_GATEWAY_BLOB_URL) to the same values as for `fmu-gateway serve`.',
    });
  }
  const logger = createStderrLogger('info');
  mkdirSync(config.cacheDir, { recursive: true });
  const { openBlobStore } = await import('../blobs/index.ts');
  const { withSharedFmuStore } = await import('../blobs/shared-stores.ts');
  const { startWorkerNode, redactUrl } = await import('../queue/index.ts');
  const blobs = await openBlobStore(blobUrl, config.dataDir);
  const jobsDir = join(config.dataDir, 'jobs');
  const pool = createWorkerPool({
    size: config.pool.size,
    queueLength: config.pool.queueLength,
    timeoutMs: config.limits.simTimeoutSeconds * 1000,
    memoryMb: config.limits.simMemoryMb,
    maxOutputRows: config.limits.maxOutputRows,
    sandbox: values['allow-unsandboxed'] ? 'auto' : 'required',
    cacheDir: config.cacheDir,
    resultDir: jobsDir,
  });
  startParseThread();
  const limits = archiveLimits({ config });
  let node;
  try {
    node = await startWorkerNode({
      url: queueUrl,
      nodeName,
      pool,
      blobs,
      fmuStore: withSharedFmuStore(createFmuFileStore(config.dataDir), blobs),
      library: libraryIndex(),
      openFmu: (path, sha256) => openFmuAsync({ path }, { cacheDir: config.cacheDir, limits, sha256 }),
      ...(values['no-compile-sources']
        ? {}
        : {
            ensureBinary: async (fmu, iface, build) =>
              (await ensureBinary(fmu, iface, { cacheDir: config.cacheDir, ...(build === undefined ? {} : { build }) })).path,
          }),
      outboxDir: join(jobsDir, '.outbox'),
      concurrency: config.pool.size,
      lockMs,
      logger,
    });
  } catch (e) {
    await pool.close();
    await blobs.close();
    throw e;
  }
  // The one line tests and scripts wait for: keep its shape stable.
  process.stderr.write(
    `fmu-gateway worker: node ${nodeName} ready (queue ${redactUrl(queueUrl)}, blobs ${blobs.location}, pool ${config.pool.size}, isolation: ${isolationLabel(pool.isolation)})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await node.close();
  await pool.close();
  await blobs.close();
  return 0;
}
