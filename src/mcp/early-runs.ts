/**
 * The first `simulate` of a stdio session, started before the live MCP server is up.
 *
 * A client typically sends initialize, tools/list and its first tools/call within milliseconds of
 * spawning the server; the front (stdio-early.ts) answers the handshake from the build's recording
 * and queues the call while the SDK, zod and the tools load (~0.1–0.2 s of the main thread). This
 * module runs the service's `simulate` for such a queued call meanwhile — validated with the tool's
 * own input schema, with the options the tool would pass — so the FMU is opened and the job reaches
 * the worker while the server loads. The live server still answers the call: the simulate tool's
 * handler, given the same request id and the same validated arguments, takes this run instead of
 * starting its own (`take`), and the SDK turns its result into the answer exactly as for any call.
 *
 * When the run is over before the server is up (the usual case: the SDK and the tools load for
 * longer than BouncingBall runs), the answer is written without waiting for the server: the
 * simulate tool's own result (tools/simulate-answer.ts, tools/result.ts errorResult), checked
 * against its output schema as the SDK checks it, in the wire shape the SDK's tools/call result
 * schema gives it (wireCallToolResult) — byte for byte the server's answer
 * (test/e2e/mcp-early-run.test.ts compares them). Anything unusual in that result leaves the call
 * to the server, which takes the finished run.
 *
 * Only a call that could not behave differently live is started early: a plain
 * `{name: "simulate", arguments}` request (no `_meta`: no progress token, no payment), in local mode
 * without payments or phase timings, with arguments the input schema accepts, and with nothing but
 * listing requests queued before it (an earlier upload, say, must be done first). The handler checks
 * again and runs the call itself when anything differs; a run nobody takes is cancelled.
 */
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/server';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import { outputVariantsOf } from '../schemas/common.ts';
import { createSimulateInputSchema, SimulateOutputSchema } from '../schemas/simulate.ts';
import type { ServiceContext } from '../service/context.ts';
import { simulate, type SimulateServiceResult } from '../service/simulate.ts';
import { MCP_PLOT_SIZE } from '../report/chart.ts';
import { markStartup } from '../startup-trace.ts';
import { errorResult } from './tools/result.ts';
import { simulateToolResult } from './tools/simulate-answer.ts';

type RpcId = string | number;

/** What the simulate tool's handler would pass to the service besides the arguments. */
export interface LiveCallShape {
  callerId: string | undefined;
  progress: boolean;
  payment: boolean;
  phases: boolean;
}

export interface EarlyRuns {
  /** Considers a request queued before the live server connected (in the order they came). */
  consider(message: JSONRPCMessage): void;
  /**
   * The run started for request `id` when the live call matches it (same validated arguments, same
   * options); undefined otherwise, and the handler runs the call itself. Taken once; the live
   * request's cancellation cancels it.
   */
  take(id: RpcId, args: unknown, shape: LiveCallShape, signal: AbortSignal): Promise<SimulateServiceResult> | undefined;
  /** Cancels the runs nobody took (the server is connected: every queued call has reached it). */
  settle(): void;
  /** Settles once every run started so far is over (answered here, or left for the server to take). */
  over(): Promise<void>;
}

/** Arguments larger than this are left to the live server (the SDK counts their elements first). */
const MAX_EARLY_ARGUMENT_CHARS = 64 * 1024;

/** How long after the server connected a run may wait to be taken (the handler takes it within microtasks). */
const UNTAKEN_MS = 5000;

/** Requests that change nothing a simulate could depend on: they may come before an early run. */
const HARMLESS = new Set(['initialize', 'ping', 'tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (id: unknown): id is RpcId => typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));

interface Started {
  key: string;
  run: Promise<SimulateServiceResult>;
  abort: AbortController;
}

/** Whether this context allows early runs at all: the conditions under which the tool's options are known without the request. */
function eligibleContext(ctx: ServiceContext): boolean {
  const c = ctx.config;
  return (
    c.mode === 'local' &&
    !c.stripe.enabled &&
    c.x402.payTo === undefined &&
    c.pool.phaseTimings !== true &&
    ctx.access === undefined &&
    ctx.payments === undefined
  );
}

/** Where a finished early call is answered: the stdio front, while the request waits there for the server. */
export interface EarlyAnswer {
  /** True while request `id` has not reached the server (it can still be answered without it). */
  waiting(id: RpcId): boolean;
  /** Writes the answer to request `id` and drops the request (it never reaches the server). */
  write(id: RpcId, result: Record<string, unknown>): void;
}

const TEXT_KEYS = ['type', 'text'];
const LINK_KEYS = ['name', 'uri', 'description', 'mimeType', 'type'];
const IMAGE_KEYS = ['type', 'data', 'mimeType'];

/** `v` with exactly `keys` (present ones, strings), in that order; undefined for any other key or value type. */
function ordered(v: unknown, keys: readonly string[], required: readonly string[]): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) if (!keys.includes(k)) return undefined;
  for (const k of keys) {
    const x = v[k];
    if (x === undefined) {
      if (required.includes(k)) return undefined;
      continue;
    }
    if (typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}

/**
 * The tools/call result as the SDK writes it for a 2025-era session: its result schema
 * (CallToolResult: `_meta`, `content`, `structuredContent`, `isError`; each content block in its
 * own schema's key order) decides the order of the keys. Only the shapes the simulate tool
 * produces are known here (text, resource_link, image blocks; no _meta, no annotations):
 * anything else → undefined, and the server answers.
 */
export function wireCallToolResult(r: CallToolResult): Record<string, unknown> | undefined {
  for (const k of Object.keys(r)) if (k !== 'content' && k !== 'structuredContent' && k !== 'isError') return undefined;
  if (!Array.isArray(r.content) || r.content.length === 0 || !isPlainObject(r.structuredContent)) return undefined;
  if (r.isError !== undefined && typeof r.isError !== 'boolean') return undefined;
  const content: Record<string, string>[] = [];
  for (const block of r.content as unknown[]) {
    const type = isPlainObject(block) ? block.type : undefined;
    const b =
      type === 'text'
        ? ordered(block, TEXT_KEYS, TEXT_KEYS)
        : type === 'resource_link'
          ? ordered(block, LINK_KEYS, ['name', 'uri', 'type'])
          : type === 'image'
            ? ordered(block, IMAGE_KEYS, IMAGE_KEYS)
            : undefined;
    if (b === undefined) return undefined;
    content.push(b);
  }
  return { content, structuredContent: { ...r.structuredContent }, ...(r.isError === undefined ? {} : { isError: r.isError }) };
}

/** The result the SDK would write for this tool result, or undefined when only the SDK can say (it then answers). */
function earlyWireResult(r: CallToolResult): Record<string, unknown> | undefined {
  // The SDK checks a successful result's structuredContent against the output schema (through
  // the same variant check, tools/output-schema-memo.ts); a failure there is its to report.
  if (r.isError !== true && outputVariantsOf(SimulateOutputSchema)?.safeParse(r.structuredContent).success !== true) return undefined;
  return wireCallToolResult(r);
}

export function createEarlyRuns(ctx: ServiceContext, answer?: EarlyAnswer): EarlyRuns {
  const started = new Map<RpcId, Started>();
  // Closed once a request that could matter to a later simulate is queued, or the server connected.
  let open = eligibleContext(ctx);
  let inputSchema: ReturnType<typeof createSimulateInputSchema> | undefined;
  let running = 0;
  let overWaiters: (() => void)[] = [];
  const ended = (): void => {
    if (--running > 0) return;
    for (const w of overWaiters) w();
    overWaiters = [];
  };

  function start(id: RpcId, args: Record<string, unknown> | undefined): void {
    if (args !== undefined && JSON.stringify(args).length > MAX_EARLY_ARGUMENT_CHARS) return;
    // The tool's schema (src/mcp/tools/simulate.ts inputSchemaFor), with the same row limit.
    inputSchema ??= createSimulateInputSchema({ maxOutputRows: ctx.config.limits.maxOutputRows });
    const parsed = inputSchema.safeParse(args ?? {});
    // Refused arguments: the live server explains them (tools/input-errors.ts).
    if (!parsed.success) return;
    const abort = new AbortController();
    markStartup('mcp: early simulate started');
    const run = simulate(ctx, parsed.data, { signal: abort.signal, plotSize: MCP_PLOT_SIZE, callerId: LOCAL_CALLER });
    const s: Started = { key: JSON.stringify(parsed.data), run, abort };
    started.set(id, s);
    // Its outcome is the taker's (or answered below); an untaken run's failure (cancelled) is nobody's.
    running++;
    run
      .then(
        (res) => answerIfWaiting(id, s, () => simulateToolResult(res, LOCAL_CALLER)),
        (e: unknown) => answerIfWaiting(id, s, () => errorResult(e, (line) => ctx.logger.error(line))),
      )
      .finally(ended);
  }

  /** The run is over: answered here if its request has not reached the server yet (else the server's handler takes it). */
  function answerIfWaiting(id: RpcId, s: Started, result: () => CallToolResult): void {
    // Built only when it will be written here (building remembers a plot as sent, tools/plot.ts).
    if (answer === undefined || started.get(id) !== s || s.abort.signal.aborted || !answer.waiting(id)) return;
    let wire: Record<string, unknown> | undefined;
    try {
      wire = earlyWireResult(result());
    } catch {
      wire = undefined; // the server's handler builds it again and reports what failed
    }
    if (wire === undefined) return;
    started.delete(id);
    answer.write(id, wire);
    markStartup('mcp: early simulate answered');
  }

  return {
    consider(message) {
      if (!open) return;
      const m = message as { id?: unknown; method?: unknown; params?: unknown };
      if (typeof m.method !== 'string') return;
      if (m.id === undefined) {
        // A notification; a cancellation concerns a request queued before it, which then stays early (the live cancel reaches it).
        return;
      }
      if (HARMLESS.has(m.method)) return;
      // Anything else: this one may start early, nothing after it does (it could depend on this one).
      open = false;
      if (m.method !== 'tools/call' || !isId(m.id) || started.has(m.id) || !isPlainObject(m.params)) return;
      const { name, arguments: args, ...rest } = m.params;
      if (name !== 'simulate' || Object.keys(rest).length > 0) return;
      if (args !== undefined && !isPlainObject(args)) return;
      try {
        start(m.id, args);
      } catch {
        // A synchronous failure (SERVER_BUSY from admission is a rejection, not this): the live server runs it.
      }
    },
    take(id, args, shape, signal) {
      const s = started.get(id);
      if (s === undefined) return undefined;
      started.delete(id);
      const same = shape.callerId === LOCAL_CALLER && !shape.progress && !shape.payment && !shape.phases && JSON.stringify(args) === s.key;
      if (!same) {
        s.abort.abort();
        return undefined;
      }
      if (signal.aborted) s.abort.abort();
      else signal.addEventListener('abort', () => s.abort.abort(), { once: true });
      return s.run;
    },
    over() {
      return running === 0 ? Promise.resolve() : new Promise((resolve) => overWaiters.push(resolve));
    },
    settle() {
      open = false;
      // Every queued request has been delivered by now; a run still here after a while was for a
      // call the live server did not hand to the tool: its result would be nobody's. Removed
      // before it is cancelled, so a late take() runs the call afresh rather than adopting a
      // cancelled run.
      setTimeout(() => {
        for (const s of started.values()) s.abort.abort();
        started.clear();
      }, UNTAKEN_MS).unref();
    },
  };
}
