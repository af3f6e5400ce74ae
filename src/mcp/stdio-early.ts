/**
 * The stdio face's front: it reads stdin from the first moment of `fmu-gateway mcp` and answers
 * the opening handshake itself — `initialize` and the first `tools/list` — from answers recorded
 * at build time from the real server (tools/build-mcp-early.ts), while the SDK, zod, the tools and
 * the worker pool load (about half a second of a 2-core machine's CPU). Everything else waits in
 * order and reaches the real server once it is connected; nothing is answered here but those two.
 *
 * The real server still sees the whole conversation: the front replays the `initialize` it
 * answered (and `notifications/initialized`) to it first, so its handshake state is the one the
 * client negotiated, and drops the server's own answer to that replayed request.
 *
 * The recorded answers are used only when they can be the live ones: built from the bundle that is
 * running (build/cli/stamp.json), with the same values of the variables that shape the listing
 * (LISTING_ENV: payments tools, openWorldHint, the size limits the descriptions quote), for a
 * 2025-era `initialize` of a protocol version they were recorded for. Once connected, the front
 * asks the real server for its tools/list and, should it differ from the one served (a bundle
 * rebuilt under a running process, a listing that came to depend on something else), says so on
 * stderr and sends `notifications/tools/list_changed`, so the client lists again.
 *
 * No SDK or zod code at run time here (types only): this module is what loads before the answer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { PROJECT_ROOT } from '../project-root.ts';
import { markStartup } from '../startup-trace.ts';
import { guardStdout } from './stdio-guard.ts';
import { LineTransport } from './stdio-transport.ts';

/**
 * Largest JSON-RPC message on one stdin line. A local client uploads big FMUs by path, so this
 * only has to carry requests with inline data (input signals, small base64 uploads).
 */
export const STDIO_MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The environment variables the MCP listing (initialize + tools/list) depends on: payments
 * (STRIPE_ENABLED, X402_PAY_TO, a non-local mode) add tools, the mode sets openWorldHint, the
 * limits appear in descriptions and schemas (src/mcp/tools). Keep in step with the tools; the
 * live check above catches what is missed.
 */
export const LISTING_ENV = ['FMU_GATEWAY_MODE', 'STRIPE_ENABLED', 'X402_PAY_TO', 'MAX_FMU_MB', 'MAX_OUTPUT_ROWS'] as const;

/** build/cli/mcp-early.json: written by `npm run build`, read at each `fmu-gateway mcp`. */
export interface EarlyAnswersFile {
  /** The stamp of the CLI bundle the answers were taken from (build/cli/stamp.json). */
  stamp: string;
  /** LISTING_ENV when they were taken (null: unset). */
  env: Record<string, string | null>;
  /** The `initialize` result per protocol version a client may ask for. */
  initialize: Record<string, unknown>;
  /** The `tools/list` result (no cursor: the whole list). */
  toolsList: unknown;
}

export const EARLY_ANSWERS_FILE = join(PROJECT_ROOT, 'build', 'cli', 'mcp-early.json');
const CLI_STAMP_FILE = join(PROJECT_ROOT, 'build', 'cli', 'stamp.json');

/** The id of the front's own tools/list to the real server (never a client's: answered here, not written). */
export const EARLY_CHECK_ID = 'fmu-gateway/early-answers-check';

/** After an early `initialize` answer, how long to wait for the client's `tools/list` before loading the server. */
const GRACE_MS = 25;

type RpcId = string | number;
const isId = (id: unknown): id is RpcId => typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The recorded answers when they apply to this process, else undefined (with the reason, for the
 * startup trace). `env` is the process environment; `running` says whether this code runs from
 * the built bundle (a checkout running its sources through tsx has no matching recording).
 */
export function loadEarlyAnswers(env: NodeJS.ProcessEnv, running: 'bundle' | 'sources'): { answers?: EarlyAnswersFile; why: string } {
  if (env.FMU_GATEWAY_MCP_EARLY === '0') return { why: 'off (FMU_GATEWAY_MCP_EARLY=0)' };
  // FMU_GATEWAY_MCP_EARLY_FILE: another recording (tests use a deliberately stale one).
  const file = env.FMU_GATEWAY_MCP_EARLY_FILE ?? EARLY_ANSWERS_FILE;
  if (running !== 'bundle' && env.FMU_GATEWAY_MCP_EARLY_FILE === undefined) return { why: 'not running the bundle' };
  if (!existsSync(file)) return { why: 'no recorded answers' };
  let answers: EarlyAnswersFile;
  let stamp: unknown;
  try {
    answers = JSON.parse(readFileSync(file, 'utf8')) as EarlyAnswersFile;
    stamp = (JSON.parse(readFileSync(CLI_STAMP_FILE, 'utf8')) as { stamp?: unknown }).stamp;
  } catch {
    return { why: 'unreadable recorded answers' };
  }
  if (!isObject(answers) || !isObject(answers.initialize) || !isObject(answers.env) || answers.toolsList === undefined) {
    return { why: 'malformed recorded answers' };
  }
  if (answers.stamp !== stamp) return { why: 'recorded from another build' };
  for (const name of LISTING_ENV) {
    if ((env[name] ?? null) !== (answers.env[name] ?? null)) return { why: `${name} differs from the recording` };
  }
  return { answers, why: 'recorded answers apply' };
}

export interface EarlyFrontOptions {
  answers?: EarlyAnswersFile;
  maxLineBytes?: number;
  log: (line: string) => void;
}

/**
 * The wire the SDK's serveStdio is given (a Transport). Before start() — the SDK connecting — it
 * answers what it can and queues the rest; from start() on it passes everything through.
 */
export class EarlyFront implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly line: LineTransport;
  private readonly answers: EarlyAnswersFile | undefined;
  private readonly log: (line: string) => void;
  private queue: JSONRPCMessage[] = [];
  private connected = false;
  private lineClosed = false;
  /** opening: no message yet; handshake: `initialize` answered here; passing: no more early answers. */
  private phase: 'opening' | 'handshake' | 'passing';
  /** Ids of replayed requests answered here already → the answer sent (the server's is dropped). */
  private readonly answeredHere = new Map<RpcId, string>();
  private servedToolsList = false;
  /** The client's `initialize` was answered here (from the recording). */
  private handshakeAnswered = false;
  /** The live tools/list check is due once the client's requests in flight are answered (it is off the critical path). */
  private checkDue = false;
  /** Client requests delivered to the server and not answered yet. */
  private readonly inFlight = new Set<RpcId>();
  private grace: NodeJS.Timeout | undefined;
  /** Sees each message queued for the server until it connects (watchQueue). */
  private queueWatcher: ((message: JSONRPCMessage) => void) | undefined;
  private markWanted: () => void = () => undefined;
  private markAnswered: () => void = () => undefined;
  /** Settles when the server has written its first answer to a client request (what waits for the first call's answer to be out of the way). */
  readonly firstAnswer = new Promise<void>((resolve) => (this.markAnswered = resolve));
  /** Settles when the real server is needed: a message this front does not answer, or shortly after the handshake. */
  readonly wanted = new Promise<void>((resolve) => (this.markWanted = resolve));

  constructor(opts: EarlyFrontOptions) {
    this.answers = opts.answers;
    this.log = opts.log;
    this.phase = opts.answers === undefined ? 'passing' : 'opening';
    this.line = new LineTransport(process.stdin, guardStdout(), opts.maxLineBytes ?? STDIO_MAX_LINE_BYTES);
    this.line.onmessage = (m) => this.receive(m);
    this.line.onerror = (e) => (this.connected ? this.onerror?.(e) : this.log(`mcp stdio: ${e.message}`));
    this.line.onclose = () => {
      this.lineClosed = true;
      clearTimeout(this.grace);
      this.onclose?.();
    };
    // Nothing to answer here: the server is wanted at once, as without a front.
    if (opts.answers === undefined) this.want();
    void this.line.start();
  }

  /** Settles when the wire has closed (stdin ended and every request was answered, or close()). */
  get done(): Promise<void> {
    return this.line.done;
  }

  get closed(): boolean {
    return this.lineClosed;
  }

  private want(): void {
    clearTimeout(this.grace);
    this.markWanted();
  }

  private receive(message: JSONRPCMessage): void {
    if (this.connected) {
      this.deliver(message);
      return;
    }
    if (this.answerEarly(message)) return;
    this.queue.push(message);
    this.queueWatcher?.(message);
    this.want();
  }

  /**
   * True while request `id` waits here for the server (queued, not delivered) and may be answered
   * here: only after the handshake was answered here (never an answer before `initialize`'s).
   */
  isQueued(id: RpcId): boolean {
    if (this.connected || !this.handshakeAnswered) return false;
    return this.queue.some((m) => (m as { id?: unknown; method?: unknown }).id === id && 'method' in m);
  }

  /**
   * Answers a queued request here (early-runs.ts: a simulate that finished before the server was
   * up) and drops it from the queue: the server never sees it. False when it is not queued.
   */
  answerQueued(id: RpcId, result: unknown): boolean {
    if (!this.isQueued(id)) return false;
    this.queue = this.queue.filter((m) => !((m as { id?: unknown }).id === id && 'method' in m));
    this.line
      // The SDK's key order (its Protocol writes {result, jsonrpc, id}): the same bytes as its answer.
      .send({ result, jsonrpc: '2.0', id } as unknown as JSONRPCMessage)
      .then(() => this.markAnswered())
      .catch((e: unknown) => this.log(`mcp stdio: ${String(e)}`));
    return true;
  }

  /**
   * `watch` sees every message waiting for the server (the replayed handshake included), those
   * queued already and those still to come, in order, until the server connects: the first
   * simulate can start before the server is up (early-runs.ts). Nothing is answered or removed.
   */
  watchQueue(watch: (message: JSONRPCMessage) => void): void {
    if (this.connected) return;
    this.queueWatcher = watch;
    for (const m of this.queue) watch(m);
  }

  /** True when the message was answered (or is kept for replay) here. */
  private answerEarly(message: JSONRPCMessage): boolean {
    const answers = this.answers;
    if (answers === undefined || this.phase === 'passing') return false;
    const m = message as { id?: unknown; method?: unknown; params?: unknown };
    if (this.phase === 'opening') {
      this.phase = 'passing';
      // A 2025-era handshake only: a 2026-07-28 client (per-request _meta envelope) goes to the SDK's era logic.
      if (m.method !== 'initialize' || !isId(m.id) || !isObject(m.params) || '_meta' in m.params) return false;
      const version = m.params.protocolVersion;
      const result = typeof version === 'string' && Object.hasOwn(answers.initialize, version) ? answers.initialize[version] : undefined;
      if (result === undefined) return false;
      this.phase = 'handshake';
      this.handshakeAnswered = true;
      this.answeredHere.set(m.id, JSON.stringify(result));
      this.queue.push(message); // replayed: the server's handshake state must be the client's
      this.answer(m.id, result);
      // The client's tools/list normally follows at once; load after it, or after a short wait.
      this.grace = setTimeout(() => this.want(), GRACE_MS);
      return true;
    }
    if (m.method === 'notifications/initialized' && m.id === undefined) {
      this.queue.push(message); // replayed, nothing to answer
      return true;
    }
    const params = m.params;
    const plainList = params === undefined || (isObject(params) && Object.keys(params).every((k) => k === '_meta'));
    if (m.method === 'tools/list' && isId(m.id) && plainList && !this.servedToolsList) {
      this.servedToolsList = true;
      this.answer(m.id, answers.toolsList);
      this.want();
      return true;
    }
    this.phase = 'passing';
    return false;
  }

  private answer(id: RpcId, result: unknown): void {
    this.line.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage).catch((e: unknown) => this.log(`mcp stdio: ${String(e)}`));
  }

  /** The SDK connects: the queued messages go to the server, in the order they came. */
  async start(): Promise<void> {
    this.connected = true;
    this.phase = 'passing';
    this.queueWatcher = undefined;
    clearTimeout(this.grace);
    const queued = this.queue;
    this.queue = [];
    markStartup('mcp: server connected');
    for (const m of queued) this.deliver(m);
    this.checkDue = this.servedToolsList;
    this.checkWhenIdle();
  }

  private deliver(message: JSONRPCMessage): void {
    const m = message as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
    if (isId(m.id) && typeof m.method === 'string') this.inFlight.add(m.id);
    // A cancelled request gets no answer (MCP): it is no longer waited for.
    if (m.method === 'notifications/cancelled' && isId(m.params?.requestId)) this.inFlight.delete(m.params.requestId);
    this.onmessage?.(message);
    if (m.method === 'notifications/cancelled') queueMicrotask(() => this.checkWhenIdle());
  }

  /** Asks the real server for its tools/list once nothing the client asked is waiting for the CPU. */
  private checkWhenIdle(): void {
    if (!this.checkDue || this.inFlight.size > 0 || this.lineClosed) return;
    this.checkDue = false;
    this.onmessage?.({ jsonrpc: '2.0', id: EARLY_CHECK_ID, method: 'tools/list' } as JSONRPCMessage);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const m = message as { id?: unknown; result?: unknown; error?: unknown };
    if (isId(m.id) && (m.result !== undefined || m.error !== undefined)) {
      if (m.id === EARLY_CHECK_ID) return this.checkToolsList(m.result);
      this.inFlight.delete(m.id);
      const sent = this.answeredHere.get(m.id);
      if (sent !== undefined) {
        this.answeredHere.delete(m.id);
        if (JSON.stringify(m.result) !== sent) {
          this.log('mcp stdio: the recorded initialize answer differs from the live one (rebuild: npm run build)');
        }
        this.checkWhenIdle();
        return;
      }
      await this.line.send(message);
      this.markAnswered();
      this.checkWhenIdle();
      return;
    }
    return this.line.send(message);
  }

  private async checkToolsList(live: unknown): Promise<void> {
    if (JSON.stringify(live) === JSON.stringify(this.answers?.toolsList)) return;
    this.log('mcp stdio: the recorded tools/list differs from the live one; told the client to list again (rebuild: npm run build)');
    if (!this.lineClosed) await this.line.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' } as JSONRPCMessage);
  }

  async close(): Promise<void> {
    clearTimeout(this.grace);
    await this.line.close();
  }
}
