/**
 * openFmu off the event loop. A gateway serving /health and other callers must not stop for the
 * seconds a big modelDescription.xml takes to parse (or a big archive to hash and unpack), so the
 * work runs in one long-lived worker thread (archive-thread.ts) with its own heap limit, and the
 * result comes back in slices pulled one per event-loop turn. Opened FMUs are remembered by
 * sha256: a content-addressed FMU is parsed once per process, never per simulate.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../errors.ts';
import { GatewayError } from '../errors.ts';
import { freshRunnerBundle, PROJECT_ROOT } from '../project-root.ts';
import type { ModelVariable } from '../schemas/model-description.ts';
import type { FmuSource, OpenFmuOptions } from './archive.ts';
import { COMPLETION_MARKER, openFmu } from './archive.ts';
import type { ThreadRequest } from './archive-thread.ts';
import type { OpenedFmu } from './opened-fmu.ts';

/** Heap of the parsing thread: a hostile description that needs more is refused, the gateway lives on. */
export const PARSE_THREAD_HEAP_MB = 1536;

type ThreadReply =
  | { kind: 'ready' }
  | { kind: 'opened'; id: number; opened: OpenedFmu; total: number }
  | { kind: 'vars'; id: number; variables: ModelVariable[]; last: boolean }
  | { kind: 'error'; id: number; error: { code: ErrorCode; message: string; data?: Record<string, unknown> } };

interface Pending {
  /** The same open, synchronously: used when the thread cannot start on this install. */
  fallback: () => OpenedFmu;
  resolve: (o: OpenedFmu) => void;
  reject: (e: Error) => void;
  opened?: OpenedFmu;
  total?: number;
}

// CommonJS boot script (eval: true): load the TypeScript loader, then the thread module.
const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import(workerData.tsx);
  register();
  await import(workerData.entry);
})().catch((e) => { console.error('fmu-gateway: parse thread failed to start:', e); process.exit(70); });
`;

let thread: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();
let unavailable = false;

const openedBySha = new Map<string, OpenedFmu>();
const MAX_REMEMBERED = 128;

function remember(key: string, o: OpenedFmu): void {
  openedBySha.delete(key);
  openedBySha.set(key, o);
  if (openedBySha.size > MAX_REMEMBERED) openedBySha.delete(openedBySha.keys().next().value as string);
}

function failAll(e: Error): void {
  for (const p of pending.values()) p.reject(e);
  pending.clear();
}

let threadReady = false;
let stopping = false;

function onReply(m: ThreadReply): void {
  if (m.kind === 'ready') {
    threadReady = true;
    return;
  }
  const p = pending.get(m.id);
  if (p === undefined) return;
  if (m.kind === 'error') {
    pending.delete(m.id);
    if (pending.size === 0) thread?.unref(); // an idle thread must not keep the process alive
    p.reject(new GatewayError(m.error.code, m.error.message, m.error.data));
  } else if (m.kind === 'opened') {
    p.opened = m.opened;
    p.total = m.total;
    if (m.opened.modelDescription.variables.length >= m.total) finish(m.id, p);
    else send({ kind: 'more', id: m.id });
  } else if (p.opened !== undefined) {
    // Appending one slice at a time: each 'vars' message is its own event-loop task.
    const vars = p.opened.modelDescription.variables;
    for (const v of m.variables) vars.push(v);
    if (m.last) finish(m.id, p);
    else send({ kind: 'more', id: m.id });
  }
}

function finish(id: number, p: Pending): void {
  pending.delete(id);
  if (pending.size === 0) thread?.unref();
  p.resolve(p.opened as OpenedFmu);
}

function send(m: ThreadRequest): void {
  thread?.postMessage(m);
}

function startThread(): Worker {
  threadReady = false;
  // The bundle built with the worker's (an installed package has only that), else the sources through tsx.
  const bundled = freshRunnerBundle('archive-thread.mjs');
  const w = new Worker(bundled !== undefined ? pathToFileURL(bundled) : BOOT, {
    eval: bundled === undefined,
    // Not the parent's flags: `--input-type=module` would turn this CommonJS boot script into ESM.
    execArgv: [],
    workerData: {
      tsx: bundled === undefined ? import.meta.resolve('tsx/esm/api') : '',
      entry: pathToFileURL(join(PROJECT_ROOT, 'src', 'fmi', 'archive-thread.ts')).href,
    },
    resourceLimits: { maxOldGenerationSizeMb: PARSE_THREAD_HEAP_MB },
    stdout: false,
    stderr: false,
  });
  w.on('message', onReply);
  w.on('error', (e: Error & { code?: string }) => {
    if (!threadReady) return; // failed to start: the exit handler opens the pending FMUs inline
    const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
    failAll(
      oom
        ? new GatewayError(
            'MODEL_DESCRIPTION_INVALID',
            `modelDescription.xml needs more than ${PARSE_THREAD_HEAP_MB} MB to parse; refused (lower its size or split the model)`,
            { element: 'xml', reason: 'too_large' },
          )
        : new GatewayError('INTERNAL', `the FMU parsing thread failed: ${e.message}`),
    );
  });
  w.on('exit', (code) => {
    if (thread === w) thread = undefined;
    // Never got going (no TypeScript loader, a broken install): open inline from now on.
    if (code === 70 || (!threadReady && !stopping)) {
      unavailable = true;
      for (const [id, p] of pending) {
        pending.delete(id);
        try {
          p.resolve(p.fallback());
        } catch (e) {
          p.reject(e as Error);
        }
      }
    }
    failAll(new GatewayError('INTERNAL', `the FMU parsing thread exited (code ${code})`));
  });
  w.unref();
  return w;
}

export interface OpenFmuAsyncOptions extends OpenFmuOptions {
  /** The archive's sha256 when the caller knows it (content-addressed store): a remembered FMU answers at once. */
  sha256?: string;
}

/** openFmu, run off the event loop; the same validation, errors and result. */
export async function openFmuAsync(source: FmuSource, opts: OpenFmuAsyncOptions): Promise<OpenedFmu> {
  const { sha256, ...openOpts } = opts;
  const key = (sha: string): string => `${openOpts.cacheDir}\0${sha}`;
  if (sha256 !== undefined) {
    const hit = openedBySha.get(key(sha256));
    if (hit !== undefined && existsSync(join(hit.unpackedDir, COMPLETION_MARKER))) return hit;
  }
  if (unavailable) return openFmu(source, openOpts); // no thread on this install: correct, only slower
  thread ??= startThread();
  const id = nextId++;
  const opened = await new Promise<OpenedFmu>((resolve, reject) => {
    pending.set(id, { fallback: () => openFmu(source, openOpts), resolve, reject });
    thread?.ref();
    send({ kind: 'open', id, source: 'bytes' in source ? { bytes: source.bytes } : { path: source.path }, opts: openOpts });
  });
  remember(key(opened.sha256), opened);
  return opened;
}

/**
 * Starts the thread now (a server at start-up), so the first upload does not wait for it to load
 * (~0.3 s, seconds on a loaded machine). Unreferenced: it never keeps the process alive.
 */
export function startParseThread(): void {
  if (!unavailable) thread ??= startThread();
}

/** Ends the parsing thread (tests, shutdown); a later call starts a new one. */
export async function stopParseThread(): Promise<void> {
  const w = thread;
  thread = undefined;
  if (w === undefined) return;
  stopping = true;
  try {
    await w.terminate();
  } finally {
    stopping = false;
  }
}
