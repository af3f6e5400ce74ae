/**
 * The pool ↔ worker channel: length-prefixed frames of v8-serialized messages over a plain
 * socket (fd 3 in the worker), instead of Node's built-in IPC. The FMU runs in the worker's
 * process and can write into any of its descriptors; Node's IPC parser throws an uncaught
 * exception in the *parent* on a corrupt frame, which would let one FMU kill the gateway. Here a
 * corrupt or oversized frame, or one the receiver's parser refuses (the pool parses every
 * worker frame with the protocol's zod schema), is reported (the pool kills that worker) and
 * never throws.
 * Typed arrays survive v8 serialization; a simulation's rows go through a result file instead (result-outbox.ts).
 */
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';

/** The worker's end of the channel. */
export const CHANNEL_FD = 3;
/** Larger frames are refused by default: a result is bounded by MAX_OUTPUT_ROWS long before this. */
const MAX_FRAME_BYTES = 1 << 30;
const HEADER_BYTES = 4;

/** Turns a decoded frame into a message of the protocol, or says why it is not one. */
export type FrameParser<T> = (frame: unknown) => { ok: true; message: T } | { ok: false; reason: string };

/** For the trusted direction (pool → worker): an object with a string `type` is enough. */
export function looseParser<T>(frame: unknown): { ok: true; message: T } | { ok: false; reason: string } {
  if (frame === null || typeof frame !== 'object' || typeof (frame as { type?: unknown }).type !== 'string') {
    return { ok: false, reason: 'a frame that is not a protocol message' };
  }
  return { ok: true, message: frame as T };
}

export class FrameChannel<In, Out> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  constructor(
    private readonly socket: Duplex,
    private readonly parse: FrameParser<In>,
    private readonly onMessage: (m: In) => void,
    private readonly onCorrupt: (reason: string) => void,
    /** Frames announced larger are refused before they are buffered (the peer's memory limit is a natural bound). */
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // A peer that is gone surfaces as exit/close elsewhere; write errors must not throw here.
    socket.on('error', () => undefined);
  }

  send(m: Out): void {
    if (this.broken || this.socket.destroyed) return;
    const body = serialize(m);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([header, body]));
  }

  private receive(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < HEADER_BYTES) return;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.corrupt(`a frame of ${length} bytes (limit ${this.maxFrameBytes})`);
      if (this.buffered < HEADER_BYTES + length) return;
      const frame = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      let decoded: unknown;
      try {
        decoded = deserialize(frame);
      } catch (e) {
        return this.corrupt(`an undecodable frame (${e instanceof Error ? e.message : String(e)})`);
      }
      const parsed = this.parse(decoded);
      if (!parsed.ok) return this.corrupt(parsed.reason);
      try {
        this.onMessage(parsed.message);
      } catch (e) {
        // A handler must never throw into the socket's event (it would be uncaught in the gateway).
        return this.corrupt(`a message its handler could not process (${e instanceof Error ? e.message : String(e)})`);
      }
      if (this.broken) return;
    }
  }

  private corrupt(reason: string): void {
    this.broken = true;
    this.chunks = [];
    this.buffered = 0;
    this.onCorrupt(reason);
  }

  /** The first n buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  /** Consumes the first n buffered bytes. */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
