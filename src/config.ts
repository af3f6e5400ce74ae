/**
 * The one place that reads process.env: environment → zod → frozen Config.
 * Everything else receives Config (or a part of it) as an argument.
 */
import { existsSync } from 'node:fs';
import { cpus, homedir, hostname, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The schema is built on first use, not at import: a command may first tell zod how to run (the
 * one-shot `simulate` turns its parser compilation off, src/cli/simulate.ts), and zod reads that
 * when a schema is constructed.
 */
const makeEnvSchema = () => {
  const bool = z
    .union([z.boolean(), z.string()])
    .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase())));

  const EnvSchema = z.object({
    FMU_GATEWAY_MODE: z.enum(['local', 'remote', 'auto']).default('local'),
    FMU_GATEWAY_URL: z.string().url().optional(),
    FMU_GATEWAY_API_KEY: z.string().optional(),
    FMU_GATEWAY_REMOTE_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
    /** Where `run --auto` looks for a local `serve` (default http://127.0.0.1:8000, as the original's quick start). */
    FMU_GATEWAY_LOCAL_URL: z.string().url().optional(),
    FMU_GATEWAY_DB_PATH: z.string().optional(),
    FMU_GATEWAY_DATA_DIR: z.string().optional(),
    FMU_GATEWAY_CONFIG_DIR: z.string().optional(),
    FMU_GATEWAY_CACHE_DIR: z.string().optional(),
    FMU_GATEWAY_POOL_SIZE: z.coerce.number().int().positive().optional(),
    FMU_GATEWAY_QUEUE_LENGTH: z.coerce.number().int().positive().default(64),
    /** Simulate / sweep requests one key may have in flight; more → 503 SERVER_BUSY at once. */
    FMU_GATEWAY_QUEUE_PER_KEY: z.coerce.number().int().positive().default(16),
    /** Used workers kept warm for more runs of their FMU and key (default: a quarter of the RAM at ~64 MiB each, 8..128). */
    FMU_GATEWAY_IDLE_WORKERS: z.coerce.number().int().nonnegative().optional(),
    /** How long such a worker waits for its key's next run. */
    FMU_GATEWAY_WORKER_LINGER_SECONDS: z.coerce.number().nonnegative().default(10),
    /** 1: one stderr line of per-phase timings per simulate call (src/service/phases.ts, bench/warm.ts). */
    FMU_GATEWAY_PHASES: z.enum(['0', '1']).optional(),
    /** Compilers of sources-only FMUs running at once (others wait COMPILE_QUEUE_TIMEOUT_SECONDS). */
    COMPILE_CONCURRENCY: z.coerce.number().int().positive().default(1),
    /** Compiles one key may have running or waiting. */
    COMPILE_PER_KEY: z.coerce.number().int().positive().default(1),
    COMPILE_QUEUE_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
    /** Memory of one compile, all its processes (a memory cgroup where possible, else rlimits). */
    COMPILE_MEMORY_MB: z.coerce.number().int().positive().default(2048),
    SIM_TIMEOUT_SECONDS: z.coerce.number().positive().default(20),
    SIM_MEMORY_MB: z.coerce.number().int().positive().default(1024),
    MAX_FMU_MB: z.coerce.number().positive().default(200),
    MAX_OUTPUT_ROWS: z.coerce.number().int().positive().default(1_000_000),
    MAX_UNPACKED_MB: z.coerce.number().positive().default(1024),
    MAX_ZIP_ENTRIES: z.coerce.number().int().positive().default(10_000),
    MAX_COMPRESSION_RATIO: z.coerce.number().positive().default(200),
    // modelDescription.xml of real FMUs is KBs to a few MB; 16 MB is ~150k variables (parse ~5 s, off the event loop).
    MAX_MODEL_DESCRIPTION_MB: z.coerce.number().positive().default(16),
    STRIPE_ENABLED: bool.default(false),
    STRIPE_SECRET_KEY: z.string().optional(),
    STRIPE_WEBHOOK_SECRET: z.string().optional(),
    STRIPE_SIMULATION_PRICE_CENTS: z.coerce.number().int().nonnegative().default(100),
    STRIPE_SIMULATION_CURRENCY: z.string().default('usd'),
    STRIPE_SUCCESS_URL: z.string().optional(),
    STRIPE_CANCEL_URL: z.string().optional(),
    CHECKOUT_TOKEN_TTL_MINUTES: z.coerce.number().positive().default(60),
    // Payments (src/payments): where the Stripe SDK sends its requests (tests: a local stand-in),
    // the webhook signature tolerance, and the rows one price unit covers.
    STRIPE_API_BASE_URL: z.string().url().optional(),
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
    STRIPE_SIMULATION_ROWS_PER_UNIT: z.coerce.number().int().positive().default(100_000),
    CHECKOUT_SESSION_TTL_MINUTES: z.coerce.number().int().min(30).max(1440).default(60),
    /** Credit packs: "runs:cents,…" (schemas/credits.ts parseCreditPacks); empty = no packs sold. */
    CREDIT_PACKS: z.string().default('10:800,50:3500'),
    X402_PAY_TO: z.string().optional(),
    X402_NETWORK: z.string().default('eip155:8453'),
    X402_ASSET: z.string().default('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'),
    X402_ASSET_DECIMALS: z.coerce.number().int().min(0).max(36).default(6),
    X402_FACILITATOR_URL: z.string().url().default('https://x402.org/facilitator'),
    X402_MAX_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(120),
    PUBLIC_BASE_URL: z.string().optional(),
    DATABASE_URL: z.string().optional(),
    REDIS_URL: z.string().optional(),
    // Accounts and retention (hosted gateway).
    RESULT_TTL_HOURS: z.coerce.number().positive().default(72),
    USAGE_RETENTION_DAYS: z.coerce.number().positive().default(90),
    KEY_DISK_QUOTA_MB: z.coerce.number().nonnegative().default(2048),
    MCP_ANONYMOUS: z.enum(['loopback', 'always', 'never']).default('loopback'),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
    KEY_CREATION_PER_HOUR: z.coerce.number().int().positive().default(20),
    // Scale-out (src/queue, src/blobs): BullMQ on Redis, shared FMU / result storage, node identity.
    FMU_GATEWAY_QUEUE_URL: z.string().optional(),
    FMU_GATEWAY_BLOB_URL: z.string().optional(),
    FMU_GATEWAY_NODE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, 'letters, digits and . _ : / - (at most 64)')
      .optional(),
    FMU_GATEWAY_QUEUE_LOCK_SECONDS: z.coerce.number().positive().default(30),
    FMU_GATEWAY_QUEUE_ATTEMPTS: z.coerce.number().int().positive().max(10).default(3),
  });
  return EnvSchema;
};

let envSchema: ReturnType<typeof makeEnvSchema> | undefined;

export interface Config {
  readonly mode: 'local' | 'remote' | 'auto';
  readonly remote: {
    readonly url?: string;
    readonly apiKey?: string;
    readonly timeoutSeconds: number;
    /** Where `run --auto` probes for a local serve (FMU_GATEWAY_LOCAL_URL); default http://127.0.0.1:8000. */
    readonly localUrl?: string;
  };
  readonly dataDir: string;
  /** Per-user settings kept between CLI runs (remembered API keys of remote gateways). */
  readonly configDir: string;
  readonly cacheDir: string;
  readonly dbPath: string;
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  readonly limits: {
    readonly simTimeoutSeconds: number;
    readonly simMemoryMb: number;
    readonly maxFmuBytes: number;
    readonly maxOutputRows: number;
    readonly maxUnpackedBytes: number;
    readonly maxZipEntries: number;
    readonly maxCompressionRatio: number;
    readonly maxModelDescriptionBytes: number;
  };
  readonly pool: {
    readonly size: number;
    /** Requests waiting for a worker, all keys together (admission: size + queueLength in flight). */
    readonly queueLength: number;
    /** Requests one key may have in flight. */
    readonly queuePerKey: number;
    /** Used workers lingering for their FMU and key, at most. */
    readonly idleWorkers: number;
    readonly lingerMs: number;
    /** FMU_GATEWAY_PHASES=1: per-phase timings of each simulate call on stderr (src/service/phases.ts). */
    readonly phaseTimings?: boolean;
  };
  /** Limits on compiling sources-only FMUs (src/fmi/source-build-limit.ts). */
  readonly compile: { readonly concurrency: number; readonly perKey: number; readonly queueTimeoutMs: number; readonly memoryMb: number };
  readonly stripe: {
    readonly enabled: boolean;
    readonly secretKey?: string;
    readonly webhookSecret?: string;
    readonly priceCents: number;
    readonly currency: string;
    readonly successUrl?: string;
    readonly cancelUrl?: string;
    readonly tokenTtlMinutes: number;
    /** Base URL of the Stripe API (default Stripe's own); tests point it at a local stand-in. */
    readonly apiBaseUrl?: string;
    readonly webhookToleranceSeconds: number;
    /** One price unit (STRIPE_SIMULATION_PRICE_CENTS) covers this many recorded rows. */
    readonly rowsPerUnit: number;
    readonly sessionTtlMinutes: number;
    /**
     * Credit packs on sale, as written (CREDIT_PACKS "runs:cents,…", in STRIPE_SIMULATION_CURRENCY;
     * empty: none). Parsed and checked where the gateway starts (schemas/credits.ts parseCreditPacks:
     * CONFIG_INVALID), since this leaf module raises no coded errors.
     */
    readonly creditPacks: string;
  };
  /** x402 v2 payments: offered only when payTo is set. */
  readonly x402: {
    readonly payTo?: string;
    /** CAIP-2 network id, e.g. "eip155:8453" (Base). */
    readonly network: string;
    /** Token contract (USDC on Base by default); amounts are in its atomic units. */
    readonly asset: string;
    readonly assetDecimals: number;
    readonly facilitatorUrl: string;
    readonly maxTimeoutSeconds: number;
  };
  readonly publicBaseUrl?: string;
  readonly accounts: {
    /** Run results and unused uploads older than this are deleted by the retention sweep. */
    readonly resultTtlHours: number;
    /** Usage records older than this roll up into per-day totals (all-time totals are kept). */
    readonly usageRetentionDays: number;
    /** Disk a key may hold (uploads + results), bytes; 0 = no limit. */
    readonly diskQuotaBytes: number;
    /** Who may use /mcp without a key: loopback clients only (default), anyone, or no one. */
    readonly mcpAnonymous: 'loopback' | 'always' | 'never';
    /** Requests per minute per key (REST and /mcp). */
    readonly rateLimitPerMinute: number;
    /** POST /keys per hour per client IP. */
    readonly keyCreationPerHour: number;
  };
  /** Several machines (README "When one machine is not enough"); all unset = everything in-process. */
  readonly scale: {
    /** FMU_GATEWAY_QUEUE_URL (redis://…): serve enqueues runs as BullMQ jobs; `worker` runs them. */
    readonly queueUrl?: string;
    /** FMU_GATEWAY_BLOB_URL (s3://… or file://…): FMUs and results every node reads. */
    readonly blobUrl?: string;
    /** This node's name (provenance executed_on "worker:<name>"); default <hostname>-<pid>. */
    readonly nodeName: string;
    /** A job's lock: a node that died holding a job loses it after about this long (retried elsewhere). */
    readonly lockMs: number;
    /** Attempts of a job that failed for a node's trouble (an FMU's own failure is never retried). */
    readonly attempts: number;
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = (envSchema ??= makeEnvSchema()).parse(env);
  // Absolute paths: workers and the sandbox (bwrap binds) see them from other working directories.
  const dataDir = resolve(e.FMU_GATEWAY_DATA_DIR ?? (existsSync('/data') ? '/data/fmu-gateway' : '.fmu-gateway'));
  const dbPath = resolve(e.FMU_GATEWAY_DB_PATH ?? (existsSync('/data') ? '/data/fmu_gateway.sqlite3' : './local.db'));
  return Object.freeze({
    mode: e.FMU_GATEWAY_MODE,
    remote: {
      url: e.FMU_GATEWAY_URL,
      apiKey: e.FMU_GATEWAY_API_KEY,
      timeoutSeconds: e.FMU_GATEWAY_REMOTE_TIMEOUT_SECONDS,
      ...(e.FMU_GATEWAY_LOCAL_URL === undefined ? {} : { localUrl: e.FMU_GATEWAY_LOCAL_URL }),
    },
    dataDir,
    configDir: resolve(e.FMU_GATEWAY_CONFIG_DIR ?? join(homedir(), '.config', 'fmu-gateway')),
    cacheDir: resolve(e.FMU_GATEWAY_CACHE_DIR ?? `${dataDir}/cache`),
    dbPath,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    limits: {
      simTimeoutSeconds: e.SIM_TIMEOUT_SECONDS,
      simMemoryMb: e.SIM_MEMORY_MB,
      maxFmuBytes: e.MAX_FMU_MB * 1024 * 1024,
      maxOutputRows: e.MAX_OUTPUT_ROWS,
      maxUnpackedBytes: e.MAX_UNPACKED_MB * 1024 * 1024,
      maxZipEntries: e.MAX_ZIP_ENTRIES,
      maxCompressionRatio: e.MAX_COMPRESSION_RATIO,
      maxModelDescriptionBytes: Math.floor(e.MAX_MODEL_DESCRIPTION_MB * 1024 * 1024),
    },
    pool: poolConfig(e),
    compile: {
      concurrency: e.COMPILE_CONCURRENCY,
      perKey: e.COMPILE_PER_KEY,
      queueTimeoutMs: e.COMPILE_QUEUE_TIMEOUT_SECONDS * 1000,
      memoryMb: e.COMPILE_MEMORY_MB,
    },
    stripe: {
      enabled: e.STRIPE_ENABLED,
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      priceCents: e.STRIPE_SIMULATION_PRICE_CENTS,
      currency: e.STRIPE_SIMULATION_CURRENCY,
      successUrl: e.STRIPE_SUCCESS_URL,
      cancelUrl: e.STRIPE_CANCEL_URL,
      tokenTtlMinutes: e.CHECKOUT_TOKEN_TTL_MINUTES,
      apiBaseUrl: e.STRIPE_API_BASE_URL,
      webhookToleranceSeconds: e.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      rowsPerUnit: e.STRIPE_SIMULATION_ROWS_PER_UNIT,
      sessionTtlMinutes: e.CHECKOUT_SESSION_TTL_MINUTES,
      creditPacks: e.CREDIT_PACKS,
    },
    x402: {
      payTo: e.X402_PAY_TO,
      network: e.X402_NETWORK,
      asset: e.X402_ASSET,
      assetDecimals: e.X402_ASSET_DECIMALS,
      facilitatorUrl: e.X402_FACILITATOR_URL,
      maxTimeoutSeconds: e.X402_MAX_TIMEOUT_SECONDS,
    },
    publicBaseUrl: e.PUBLIC_BASE_URL,
    accounts: {
      resultTtlHours: e.RESULT_TTL_HOURS,
      usageRetentionDays: e.USAGE_RETENTION_DAYS,
      diskQuotaBytes: Math.round(e.KEY_DISK_QUOTA_MB * 1024 * 1024),
      mcpAnonymous: e.MCP_ANONYMOUS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      keyCreationPerHour: e.KEY_CREATION_PER_HOUR,
    },
    scale: {
      queueUrl: e.FMU_GATEWAY_QUEUE_URL || undefined,
      blobUrl: e.FMU_GATEWAY_BLOB_URL || undefined,
      nodeName:
        e.FMU_GATEWAY_NODE_NAME ??
        `${hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 50)}-${process.pid}`,
      lockMs: Math.round(e.FMU_GATEWAY_QUEUE_LOCK_SECONDS * 1000),
      attempts: e.FMU_GATEWAY_QUEUE_ATTEMPTS,
    },
  });
}

function poolConfig(e: z.infer<ReturnType<typeof makeEnvSchema>>): Config['pool'] {
  const size = e.FMU_GATEWAY_POOL_SIZE ?? Math.max(1, cpus().length);
  return {
    size,
    queueLength: e.FMU_GATEWAY_QUEUE_LENGTH,
    queuePerKey: e.FMU_GATEWAY_QUEUE_PER_KEY,
    idleWorkers: e.FMU_GATEWAY_IDLE_WORKERS ?? defaultIdleWorkers(),
    lingerMs: e.FMU_GATEWAY_WORKER_LINGER_SECONDS * 1000,
    ...(e.FMU_GATEWAY_PHASES === '1' ? { phaseTimings: true } : {}),
  };
}

/**
 * An idle worker holds ~60 MiB (node + the FMU's library) and no CPU: keeping one per active key
 * is what spares callers a cold start each. A quarter of the machine's memory, at most 128.
 */
function defaultIdleWorkers(): number {
  return Math.max(8, Math.min(128, Math.floor(totalmem() / 4 / (64 * 1024 * 1024))));
}
