/** Reading a request body with a hard size cap (checked while streaming, not after buffering it all). */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`);
  }
}

/**
 * Resolves with the whole body, or rejects with BodyTooLargeError as soon as the declared or
 * received size passes `limit`, keeping nothing of it. The caller answers 413, then discardRest.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

/** How long a refused body may keep streaming in after the answer (then the connection is closed). */
export const DISCARD_LINGER_MS = 2000;

/**
 * After answering a refused request before reading its body: discard the rest for a short while so
 * the client can read the answer (closing at once, with its data unread, resets the connection and
 * may lose the answer), but close the connection after `lingerMs` rather than read, say, 500 MB.
 */
export function discardRest(req: IncomingMessage, lingerMs = DISCARD_LINGER_MS): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), lingerMs);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
