/**
 * Composition root for the long-running faces (mcp, serve): config → stores, catalog, worker pool
 * → ServiceContext. Returns a close() that stops the pool, so a server exits without orphans.
 *
 * `lazyPool`: the pool (whose sandbox self-test takes a few hundred ms) is created on first use or
 * by warmUp(), so the stdio server can answer `initialize` first and start the pool right after.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { GatewayError } from '../errors.ts';
import type { Config } from '../config.ts';
import { createCompileLimiter } from '../fmi/source-build-limit.ts';
import { createAdmission } from '../runner/admission.ts';
import { createMemoryLimiter, type MemoryLimiter } from '../runner/memory-limit.ts';
import { createWorkerPool } from '../runner/pool.ts';
import type { IsolationReport, SandboxMode, WorkerPool } from '../runner/types.ts';
import { createStderrLogger, type CatalogLike, type ServiceContext, type SimulationRunner } from '../service/context.ts';
import { createFmuFileStore } from '../store/fmu-file-store.ts';
import { createRunResultStore } from '../store/run-result-store.ts';
import type { AccountStore } from '../store/index.ts';
import type { ensureBinary as EnsureBinaryFn } from '../fmi/source-build.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import { workerPoolOptions } from './pool-options.ts';

type EnsureBinary = typeof EnsureBinaryFn;

export interface GatewayContext {
  ctx: ServiceContext;
  /** Creates the worker pool now if it does not exist yet (throws SANDBOX_UNAVAILABLE when required). */
  warmUp: () => void;
  close: () => Promise<void>;
}

export interface GatewayContextOptions {
  /** The face's open account store (serve): payments use it instead of opening their own. */
  accounts?: AccountStore;
  sandbox: SandboxMode;
  lazyPool?: boolean;
  /**
   * With lazyPool: start the pool anyway, first thing, before the modules the request needs are
   * loaded (the one-shot `simulate`: its worker boots while the FMU is opened).
   */
  startPoolFirst?: boolean;
  /**
   * A pool the face created already, with these options (the one-shot simulate makes it before
   * loading this module: src/cli/local-pool.ts); used instead of making one.
   */
  pool?: WorkerPool;
  /** Worker processes (default config.pool.size; the one-shot CLI uses 1). */
  poolSize?: number;
  /** Fresh workers kept warm (default poolSize); the one-shot CLI keeps none. */
  spareWorkers?: number;
  /** Workers started with the pool beyond the spares (default 0; the one-shot CLI: 1, see WorkerPoolOptions). */
  initialWorkers?: number;
  /** Reuse the sandbox self-test's remembered positive verdict (runner/sandbox-cache.ts): CLI and stdio MCP. */
  cacheSelfTest?: boolean;
  /** Compile sources-only FMUs on first use (default true). The compiler runs outside the worker sandbox. */
  compileSources?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Called once when the pool is created (the CLI says on stderr when it runs unsandboxed). */
  onPoolCreated?: (isolation: IsolationReport) => void;
  /**
   * One caller only (stdio MCP, one-shot CLI): that caller may use every worker. Servers leave it
   * off, so one key cannot hold every worker (src/runner/scheduler.ts).
   */
  singleCaller?: boolean;
  /** Catalog to serve (default: the built library). */
  catalog?: CatalogLike;
  /**
   * Open FMUs (hash, unpack, parse modelDescription.xml) in a worker thread so a big description
   * does not stall the event loop. On for the servers; the one-shot CLI opens inline.
   */
  openOffThread?: boolean;
  /**
   * With openOffThread: do not start the parsing thread now (it would compete for the CPU with the
   * first worker and the server's own start-up); the face starts it later (startParseThread), and
   * the first upload would start it anyway. The stdio MCP server does.
   */
  deferParseThread?: boolean;
}

/** Creates a configured folder; one that cannot be a folder (a file there, no permission) is CONFIG_INVALID. */
function makeDir(dir: string, variable: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new GatewayError('CONFIG_INVALID', `${variable} (${dir}) cannot be used as a folder: ${code}`, {
        variable,
        hint: `Point ${variable} at a folder this user can write, or remove what is in its place.`,
      });
    }
    throw e;
  }
}

/**
 * Async so that what only some configurations use is loaded only by them: the remote client
 * (undici) with FMU_GATEWAY_URL, payments (Stripe, the account stores' drivers) with
 * STRIPE_ENABLED. A plain local run loads neither (start-up budget, docs/architecture.md).
 */
export async function createGatewayContext(config: Config, opts: GatewayContextOptions): Promise<GatewayContext> {
  makeDir(config.dataDir, 'FMU_GATEWAY_DATA_DIR');
  makeDir(config.cacheDir, 'FMU_GATEWAY_CACHE_DIR');
  const results = createRunResultStore(config.dataDir);
  let pool: WorkerPool | undefined;
  const poolSize = opts.poolSize ?? config.pool.size;
  const logger = createStderrLogger(opts.logLevel ?? 'info');
  const getPool = (): WorkerPool => {
    if (pool !== undefined) return pool;
    pool = opts.pool ?? createWorkerPool(workerPoolOptions(config, opts, results.dir, (message, data) => logger.warn(message, data)));
    opts.onPoolCreated?.(pool.isolation);
    return pool;
  };
  if (opts.lazyPool !== true || opts.startPoolFirst === true) getPool();
  const runner: SimulationRunner = {
    run: (job, runOpts) => getPool().run(job, runOpts),
    get isolation(): IsolationReport {
      return getPool().isolation;
    },
  };
  const ctx: ServiceContext = {
    config,
    catalog: opts.catalog ?? (await import('../library/catalog.ts')).createCatalog(),
    fmuStore: createFmuFileStore(config.dataDir),
    results,
    runner,
    logger,
    // Bounded requests in flight: past them SERVER_BUSY at once, nothing written (src/runner/admission.ts).
    admission: createAdmission({
      maxInFlight: poolSize + config.pool.queueLength,
      maxPerCaller: config.pool.queuePerKey,
      workers: poolSize,
    }),
  };
  if (opts.openOffThread === true) {
    const { openFmuAsync, startParseThread } = await import('../fmi/archive-async.ts');
    ctx.openFmu = openFmuAsync;
    if (opts.deferParseThread !== true) startParseThread(); // loads while the server starts, not on the first upload
  }
  // FMU_GATEWAY_URL: the hosted gateway the remote / auto modes forward to.
  const remote = config.remote.url === undefined ? undefined : (await import('../remote/index.ts')).createRemoteClient(config);
  if (remote !== undefined) ctx.remote = remote;
  // Memory cgroups for compiles, made on the first compile (none for a server that never compiles).
  let compileMemory: MemoryLimiter | undefined;
  if (opts.compileSources !== false) {
    // One compiler at a time by default, a per-key bound, memory bounded like a worker's.
    const limiter = createCompileLimiter({
      maxConcurrent: config.compile.concurrency,
      maxPerCaller: config.compile.perKey,
      queueTimeoutMs: config.compile.queueTimeoutMs,
      memoryMb: config.compile.memoryMb,
      memory: { createGroup: (name, bytes) => (compileMemory ??= createMemoryLimiter()).createGroup(name, bytes) },
    });
    // Sources-only FMUs are compiled once, on first use, into the cache (a compiler child process).
    // Loaded on the first FMU that needs it (most ship binaries): not part of start-up. Imported
    // once and the function kept: an `import()` per request still resolves the specifier each
    // time (through the loader hooks' thread when run with tsx), on every simulate's path.
    let ensure: EnsureBinary | undefined;
    // The binary found (path checks, lstat per component) or built for an opened FMU, per interface
    // and build options: an opened FMU is content-addressed (its unpacked files never change), so
    // the answer holds while the file is there (one stat per run instead of the search).
    const found = new WeakMap<OpenedFmu, Map<string, string>>();
    ctx.ensureBinary = async (fmu, iface, build, callerId) => {
      const key = `${iface}:${build === undefined ? '' : JSON.stringify(build)}`;
      const known = found.get(fmu)?.get(key);
      if (known !== undefined && existsSync(known)) return known;
      ensure ??= (await import('../fmi/source-build.ts')).ensureBinary;
      const { path } = await ensure(fmu, iface, {
        cacheDir: config.cacheDir,
        limiter,
        ...(build === undefined ? {} : { build }),
        ...(callerId === undefined ? {} : { callerId }),
      });
      let byKey = found.get(fmu);
      if (byKey === undefined) found.set(fmu, (byKey = new Map()));
      byKey.set(key, path);
      return path;
    };
  }
  const payments = await (await import('./payments-wiring.ts')).createGatewayPayments(config, ctx.logger, opts.accounts);
  if (payments.payments !== undefined) ctx.payments = payments.payments;
  return {
    ctx,
    warmUp: () => void getPool(),
    close: async () => {
      await (pool ?? opts.pool)?.close();
      compileMemory?.close();
      await remote?.close();
      await payments.close();
    },
  };
}
