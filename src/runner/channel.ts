/**
 * The pool ↔ worker channel: length-prefixed frames of v8-serialized messages over a plain
 * socket (fd 3 in the worker), instead of Node's built-in IPC. The FMU runs in the worker's
 * process and can write into any of its descriptors; Node's IPC parser throws an uncaught
 * exception in the *parent* on a corrupt frame, which would let one FMU kill the gateway. Here a
 * corrupt or oversized frame is reported (the pool kills that worker) and never throws.
 * Typed arrays survive v8 serialization; a simulation's rows go through a result file instead (result-outbox.ts).
 */
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';

/** The worker's end of the channel. */
export const CHANNEL_FD = 3;
/** Larger frames are refused: a result is bounded by MAX_OUTPUT_ROWS long before this. */
const MAX_FRAME_BYTES = 1 << 30;
const HEADER_BYTES = 4;

export class FrameChannel<In, Out> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  constructor(
    private readonly socket: Duplex,
    private readonly onMessage: (m: In) => void,
    private readonly onCorrupt: (reason: string) => void,
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
      if (length > MAX_FRAME_BYTES) return this.corrupt(`a frame of ${length} bytes (limit ${MAX_FRAME_BYTES})`);
      if (this.buffered < HEADER_BYTES + length) return;
      const frame = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      let message: In;
      try {
        message = deserialize(frame) as In;
      } catch (e) {
        return this.corrupt(`an undecodable frame (${e instanceof Error ? e.message : String(e)})`);
      }
      if (message === null || typeof message !== 'object' || typeof (message as { type?: unknown }).type !== 'string') {
        return this.corrupt('a frame that is not a protocol message');
      }
      this.onMessage(message);
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
