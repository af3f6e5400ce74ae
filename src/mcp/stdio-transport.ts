/**
 * The stdio wire: newline-delimited JSON-RPC on stdin/stdout, for the SDK's `serveStdio`.
 *
 * Ours rather than the SDK's StdioServerTransport for two behaviours a client relies on:
 * - A line longer than `maxLineBytes` (a 20 MB base64 upload, a runaway client) is answered with a
 *   JSON-RPC error naming the limit, and the server keeps serving. The SDK's transport closes the
 *   connection instead, so the process exits with code 0 and the client learns nothing. The
 *   over-long line is dropped as it arrives, never buffered whole.
 * - When stdin ends, the requests already received are still answered before the transport
 *   closes (a scripted client may write its requests and close stdin at once); the SDK's transport
 *   aborts them unanswered.
 * A line that is not JSON gets the JSON-RPC parse error (-32700) and is otherwise ignored.
 */
import { markStartup, startupTraceEnabled } from '../startup-trace.ts';
import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

type RpcId = string | number;

/** The id of an over-long request, when it can be read from the kept head or tail of the line. */
export function idOfTruncated(head: string, tail: string): RpcId | null {
  // The id first (`{"jsonrpc":"2.0","id":7,...`) or last (`...,"jsonrpc":"2.0","id":7}`, as the SDK writes it).
  const first = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")\s*,/.exec(head);
  const last = /,\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")\s*\}\s*$/.exec(tail);
  const raw = first?.[1] ?? last?.[1];
  if (raw === undefined) return null;
  try {
    const id = JSON.parse(raw) as unknown;
    return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}

const KEEP = 4096;

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  /** Dropping an over-long line up to its newline; head/tail kept to find its id. */
  private dropping: { head: string; tail: string; bytes: number } | undefined;
  private readonly pending = new Set<RpcId>();
  private inputEnded = false;
  private closed = false;
  private markDone: () => void = () => undefined;
  /** Settles when the transport has closed (stdin ended and every request was answered, or close()). */
  readonly done = new Promise<void>((resolve) => (this.markDone = resolve));

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    private readonly maxLineBytes: number,
  ) {}

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.once('end', this.onEnd);
    this.stdin.once('close', this.onEnd);
    this.stdin.on('error', this.onStdinError);
  }

  private readonly onStdinError = (e: Error): void => this.onerror?.(e);

  private readonly onEnd = (): void => {
    this.inputEnded = true;
    this.closeWhenAnswered();
  };

  private closeWhenAnswered(): void {
    if (this.inputEnded && this.pending.size === 0) void this.close();
  }

  private readonly onData = (chunk: Buffer): void => {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl === -1) break;
      this.endLine();
      start = nl + 1;
    }
  };

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.dropping !== undefined) {
      this.dropping.bytes += part.length;
      this.dropping.tail = (this.dropping.tail + part.toString('utf8', Math.max(0, part.length - KEEP))).slice(-KEEP);
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
    if (this.size > this.maxLineBytes) {
      const all = Buffer.concat(this.chunks);
      this.dropping = {
        head: all.toString('utf8', 0, KEEP),
        tail: all.toString('utf8', Math.max(0, all.length - KEEP)),
        bytes: all.length,
      };
      this.chunks = [];
      this.size = 0;
    }
  }

  private endLine(): void {
    if (this.dropping !== undefined) {
      const { head, tail, bytes } = this.dropping;
      this.dropping = undefined;
      const mb = (this.maxLineBytes / 1024 / 1024).toFixed(0);
      this.reply(
        idOfTruncated(head, tail),
        -32600,
        `Message too large: ${bytes} bytes on one line, more than the ${mb} MiB a stdio message may have.`,
        {
          code: 'PAYLOAD_TOO_LARGE',
          size_bytes: bytes,
          limit_bytes: this.maxLineBytes,
          hint: 'Upload a large FMU with upload_fmu {path} (a file on this machine) instead of content_base64; send input signals in fewer points.',
        },
      );
      return;
    }
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.reply(null, -32700, 'Parse error: the line is not valid JSON.');
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message) || (message as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      const id = (message as { id?: unknown } | null)?.id;
      this.reply(
        typeof id === 'string' || typeof id === 'number' ? id : null,
        -32600,
        'Invalid Request: expected one JSON-RPC 2.0 message object per line.',
      );
      return;
    }
    const m = message as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
    if (typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')) this.pending.add(m.id);
    // A cancelled request gets no answer (MCP): stop waiting for one.
    const cancelled = m.method === 'notifications/cancelled' ? m.params?.requestId : undefined;
    if (typeof cancelled === 'string' || typeof cancelled === 'number') {
      this.pending.delete(cancelled);
      queueMicrotask(() => this.closeWhenAnswered());
    }
    if (startupTraceEnabled()) markStartup(`mcp: ${typeof m.method === 'string' ? m.method : 'message'} received`);
    this.onmessage?.(message as JSONRPCMessage);
  }

  private reply(id: RpcId | null, code: number, message: string, data?: unknown): void {
    // JSON-RPC allows id null for a request whose id cannot be read; the SDK's types do not.
    const error = { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } } as unknown as JSONRPCMessage;
    this.send(error).catch((e: unknown) => this.onerror?.(e instanceof Error ? e : new Error(String(e))));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the stdio transport is closed');
    const m = message as { id?: unknown; result?: unknown; error?: unknown };
    const answered = (m.result !== undefined || m.error !== undefined) && (typeof m.id === 'string' || typeof m.id === 'number');
    const json = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve, reject) => {
      const ok = this.stdout.write(json, (e) => (e ? reject(e) : undefined));
      if (ok) resolve();
      else this.stdout.once('drain', () => resolve());
    });
    if (answered) {
      if (startupTraceEnabled()) markStartup(`mcp: answer to id ${String(m.id)} written`);
      this.pending.delete(m.id as RpcId);
      this.closeWhenAnswered();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('close', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdin.pause();
    this.onclose?.();
    this.markDone();
  }
}
